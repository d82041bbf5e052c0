/** Providers of roles (with their permissions) and operators (with their roles and invoicing points). */
import { sortedUnique } from "../../base/canonical.ts";
import { T, qualified } from "../reference-schema.ts";
import { writeRows } from "./rows.ts";
import type { Provider } from "./types.ts";

export const roles: Provider = {
  kind: "roles",
  disableable: false,
  identify: (f) => String(f.code),
  async read(db, { schema }) {
    const { rows } = await db.query<{ code: string; name: string; permissions: string[] }>(
      `SELECT r.code, r.name,
              COALESCE((SELECT array_agg(p.permission::text ORDER BY p.permission)
                          FROM ${qualified(schema, T.rolePermission)} p WHERE p.role_code = r.code), '{}') AS permissions
         FROM ${qualified(schema, T.role)} r`,
    );
    return rows.map((r) => ({
      id: r.code,
      fields: { code: r.code, name: r.name, permissions: sortedUnique(r.permissions) },
      usage: {},
    }));
  },
  declared: (env) =>
    env.roles?.map((r) => ({
      id: r.code,
      fields: { code: r.code, name: r.name, permissions: sortedUnique(r.permissions) },
    })),
  write: (db, { schema }, changes) =>
    writeRows(
      db,
      schema,
      {
        table: T.role,
        key: ["code"],
        columns: [
          { column: "code", type: "text", field: "code" },
          { column: "name", type: "text", field: "name" },
        ],
        links: [
          {
            table: T.rolePermission,
            ownerColumns: ["role_code"],
            valueColumn: "permission",
            field: "permissions",
          },
        ],
      },
      changes,
    ),
};

export const operators: Provider = {
  kind: "operators",
  disableable: false,
  identify: (f) => String(f.account),
  async read(db, { schema }) {
    const { rows } = await db.query<{
      account: string;
      name: string;
      enabled: boolean;
      roles: string[];
      places: string[];
    }>(
      `SELECT o.account, o.name, o.enabled,
              COALESCE((SELECT array_agg(r.role_code::text ORDER BY r.role_code)
                          FROM ${qualified(schema, T.operatorRole)} r WHERE r.account = o.account), '{}') AS roles,
              COALESCE((SELECT array_agg(p.place_code::text ORDER BY p.place_code)
                          FROM ${qualified(schema, T.operatorPlace)} p WHERE p.account = o.account), '{}') AS places
         FROM ${qualified(schema, T.operator)} o`,
    );
    return rows.map((r) => ({
      id: r.account,
      fields: {
        account: r.account,
        name: r.name,
        enabled: r.enabled,
        roles: sortedUnique(r.roles),
        places: sortedUnique(r.places),
      },
      usage: {},
    }));
  },
  declared: (env) =>
    env.operators?.map((o) => ({
      id: o.account,
      fields: {
        account: o.account,
        name: o.name,
        enabled: o.enabled,
        roles: sortedUnique(o.roles),
        places: sortedUnique(o.places),
      },
    })),
  write: (db, { schema }, changes) =>
    writeRows(
      db,
      schema,
      {
        table: T.operator,
        key: ["account"],
        columns: [
          { column: "account", type: "text", field: "account" },
          { column: "name", type: "text", field: "name" },
          { column: "enabled", type: "bool", field: "enabled" },
        ],
        links: [
          { table: T.operatorRole, ownerColumns: ["account"], valueColumn: "role_code", field: "roles" },
          { table: T.operatorPlace, ownerColumns: ["account"], valueColumn: "place_code", field: "places" },
        ],
      },
      changes,
    ),
};
