/** Every database provider, one per kind, in DATABASE_KINDS order (dependencies first). */
import { DATABASE_KINDS, type DatabaseKind } from "../../model/environment.ts";
import { roles, operators } from "./access.ts";
import {
  billStock,
  billTypes,
  codeMappings,
  invoicingPoints,
  paymentChannels,
  printTemplates,
} from "./basic-info.ts";
import { partitions, tablespaces } from "./storage.ts";
import type { Provider } from "./types.ts";

const BY_KIND: Record<DatabaseKind, Provider> = {
  tablespaces,
  partitions,
  billTypes,
  printTemplates,
  invoicingPoints,
  paymentChannels,
  codeMappings,
  billStock,
  roles,
  operators,
};

export const PROVIDERS: readonly Provider[] = DATABASE_KINDS.map((kind) => BY_KIND[kind]);

export function providerOf(kind: string): Provider {
  const provider = (BY_KIND as Record<string, Provider | undefined>)[kind];
  if (!provider) throw new Error(`'${kind}' is not a database kind (known: ${DATABASE_KINDS.join(", ")})`);
  return provider;
}

export type { Provider, LiveObject, Declared, Usage, Db, Context } from "./types.ts";
