/** Providers of roles (with their permissions) and operators (with their roles and invoicing points). */
import { T } from "../reference-schema.ts";
import { type RowTable, rowProvider } from "./columns.ts";

export const ROLE_TABLE: RowTable = {
  table: T.role,
  columns: [
    { column: "code", type: "text", field: "code", key: true },
    { column: "name", type: "text", field: "name" },
  ],
  links: [
    { table: T.rolePermission, ownerColumns: ["role_code"], valueColumn: "permission", field: "permissions" },
  ],
};

export const OPERATOR_TABLE: RowTable = {
  table: T.operator,
  columns: [
    { column: "account", type: "text", field: "account", key: true },
    { column: "name", type: "text", field: "name" },
    { column: "enabled", type: "bool", field: "enabled" },
  ],
  links: [
    { table: T.operatorRole, ownerColumns: ["account"], valueColumn: "role_code", field: "roles" },
    { table: T.operatorPlace, ownerColumns: ["account"], valueColumn: "place_code", field: "places" },
  ],
};

export const roles = rowProvider({ kind: "roles", table: ROLE_TABLE, disableable: false });

export const operators = rowProvider({ kind: "operators", table: OPERATOR_TABLE, disableable: false });
