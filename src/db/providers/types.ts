/**
 * The contract of a database provider: one per kind in DATABASE_KINDS. A provider reads every live
 * object of its kind in ONE query, says what the stack declares, and writes a batch of changes with
 * a constant number of statements whatever the number of rows.
 */
import type pg from "pg";
import type { DatabaseKind, Environment } from "../../model/environment.ts";
import type { Change, Fields } from "../../plan/types.ts";
import type { FieldList } from "./columns.ts";

/** Anything that runs a query: a pg.Client, or the benchmark's counting wrapper. */
export interface Db {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface Context {
  env: Environment;
  /** The product schema (env.database.schema). */
  schema: string;
}

/** What else depends on a live object; decides delete vs disable vs refuse. Part of the live hash. */
export interface Usage {
  /** Issued bills reference it (bill code, place, channel, or a number in the stock range). */
  bills?: boolean;
  /** A partition (or a tablespace) holds rows / relations: never dropped. */
  holdsData?: boolean;
  /** Number of relations in a tablespace that are not managed yearly partitions. */
  otherRelations?: number;
  /**
   * A disabled row whose last write by ebill-ops (in the audit) did not disable it: a person turned
   * it off in the product (an operator locked on purpose). Re-enabling it is destructive.
   */
  disabledOutside?: boolean;
}

export interface LiveObject {
  id: string;
  fields: Fields;
  usage: Usage;
  /**
   * Facts the plan checks or shows but never compares nor hashes: the last bill number used in a
   * stock range (it moves with every bill issued), where a tablespace is on the server's disk (a
   * sandbox maps declared locations under its own folder).
   */
  facts?: { lastUsed?: string; location?: string };
}

export interface Declared {
  id: string;
  fields: Fields;
}

export interface Provider {
  kind: DatabaseKind;
  /** Has an `enabled` field: when in use it is disabled instead of deleted. */
  disableable: boolean;
  /** The fields a declared and a live object are compared by, and the live hash is made of. */
  fields: FieldList;
  /** Every live object of the kind, in one query. */
  read(db: Db, ctx: Context): Promise<LiveObject[]>;
  /**
   * The id a write of these fields touches (the key columns it writes). The write layer compares it
   * with the change's id, so a change cannot say one object and write another.
   */
  identify(fields: Fields): string;
  /** What the stack declares; undefined when the stack leaves the kind out (then it is not touched). */
  declared(env: Environment): Declared[] | undefined;
  /** Writes creates/updates/deletes of this kind inside the apply transaction, in batches. */
  write(db: Db, ctx: Context, changes: Change[]): Promise<void>;
}
