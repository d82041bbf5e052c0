/**
 * What an upgrade remembers in the tool's own schema (never the product's, never managed by the
 * providers or drift): the open run of a target version with the backup taken at its start, so a
 * rerun after a kill continues without a second backup; and which migrations ran, so they run once.
 */
import type pg from "pg";
import { OPS_SCHEMA, qualified } from "../db/reference-schema.ts";

const RUN = qualified(OPS_SCHEMA, "upgrade_run");
const MIGRATION = qualified(OPS_SCHEMA, "release_migration");

export const UPGRADE_STATE_DDL = `
CREATE SCHEMA IF NOT EXISTS ${OPS_SCHEMA};
CREATE TABLE IF NOT EXISTS ${RUN} (
  id           bigserial   PRIMARY KEY,
  stack        text        NOT NULL,
  target       text        NOT NULL,
  backup_id    text        NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  outcome      text
);
CREATE TABLE IF NOT EXISTS ${MIGRATION} (
  version     text        NOT NULL,
  file        text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version, file)
);
`;

type Db = Pick<pg.Client, "query">;

export interface OpenRun {
  id: number;
  backupId: string;
}

export async function openRun(db: Db, stack: string, target: string): Promise<OpenRun | null> {
  await db.query(UPGRADE_STATE_DDL);
  const { rows } = await db.query<{ id: string; backup_id: string }>(
    `SELECT id, backup_id FROM ${RUN} WHERE stack = $1 AND target = $2 AND finished_at IS NULL ORDER BY id DESC LIMIT 1`,
    [stack, target],
  );
  return rows[0] ? { id: Number(rows[0].id), backupId: rows[0].backup_id } : null;
}

export async function startRun(db: Db, stack: string, target: string, backupId: string): Promise<OpenRun> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${RUN} (stack, target, backup_id) VALUES ($1, $2, $3) RETURNING id`,
    [stack, target, backupId],
  );
  return { id: Number(rows[0]!.id), backupId };
}

export async function finishRun(db: Db, run: OpenRun, outcome: string): Promise<void> {
  await db.query(`UPDATE ${RUN} SET finished_at = now(), outcome = $2 WHERE id = $1`, [run.id, outcome]);
}

export async function appliedMigrations(db: Db, version: string): Promise<string[]> {
  await db.query(UPGRADE_STATE_DDL);
  const { rows } = await db.query<{ file: string }>(`SELECT file FROM ${MIGRATION} WHERE version = $1`, [
    version,
  ]);
  return rows.map((r) => r.file);
}

/** Runs a release's SQL files in one transaction and records (up) or forgets (down) them. */
export async function runMigrations(
  db: Db,
  version: string,
  direction: "up" | "down",
  files: { file: string; sql: string }[],
  recorded: { file: string }[],
): Promise<void> {
  await db.query("BEGIN");
  try {
    for (const f of files) await db.query(f.sql);
    if (direction === "up")
      for (const f of recorded)
        await db.query(`INSERT INTO ${MIGRATION} (version, file) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
          version,
          f.file,
        ]);
    else await db.query(`DELETE FROM ${MIGRATION} WHERE version = $1`, [version]);
    await db.query("COMMIT");
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
