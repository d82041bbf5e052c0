/**
 * Backups of a stack: take one now (`backup run`), list them, and verify one by restoring it into a
 * scratch database and comparing the figures recorded at backup time with the restored ones
 * (`backup verify`). Upgrades and host rebuilds call the same functions.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { isoDay, localDate, now } from "../base/time.ts";
import { withClient } from "../db/connect.ts";
import { referenceSchemaDdl, schemaOf } from "../db/reference-schema.ts";
import { hostsConnection, type HostsConnection } from "../hosts/connection.ts";
import type { Environment } from "../model/environment.ts";
import { compareChecksums, liveArchiveChecksums, pullArchive, tarChecksums } from "./archive.ts";
import {
  compareFigures,
  dumpDatabase,
  figures,
  restoreRows,
  type DatabaseDump,
  type Figures,
} from "./dump.ts";
import { withScratchDatabase } from "./scratch.ts";
import {
  ARCHIVE_FILE,
  backupId,
  backupSettings,
  DATABASE_FILE,
  listStored,
  type ListedBackup,
  type Manifest,
  readStoredFile,
  recordVerification,
  storeBackup,
  type Verification,
} from "./store.ts";

export function connectionOf(env: Environment): HostsConnection {
  const connection = hostsConnection(env);
  if (!connection.ok) throw new Error(connection.reason);
  return connection.value;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Local midnight `days` days before `at`, as the bill table's timestamp text. */
export function recentFrom(env: Environment, at: Date, days: number): string {
  const day = localDate(new Date(at.getTime() - days * 86_400_000), env.maintenance.timezone);
  return `${isoDay(day)} 00:00:00`;
}

/** Takes a backup now: the database rows and figures, the archive files, stored on the backup host. */
export async function runBackup(env: Environment, reason = "manual"): Promise<Manifest> {
  const settings = backupSettings(env);
  const connection = connectionOf(env);
  const at = now();
  const from = recentFrom(env, at, settings.recentDays);
  const { dump, figures } = await withClient(env, (c) => dumpDatabase(c, schemaOf(env), from));
  const files: Record<string, Buffer> = { [DATABASE_FILE]: gzipSync(JSON.stringify(dump)) };

  let archive: Manifest["archive"] = null;
  if (settings.archive) {
    const dir = mkdtempSync(path.join(tmpdir(), "ebill-backup-"));
    try {
      archive = await liveArchiveChecksums(env, connection);
      const tar = path.join(dir, ARCHIVE_FILE);
      await pullArchive(env, connection, tar);
      files[ARCHIVE_FILE] = readFileSync(tar);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const manifest: Manifest = {
    format: "ebill-ops-backup/1",
    id: backupId(at),
    stack: env.name,
    takenAt: at.toISOString(),
    reason,
    appVersion: env.app.version,
    files: Object.fromEntries(
      Object.entries(files).map(([name, data]) => [name, { bytes: data.length, sha256: sha256(data) }]),
    ),
    figures,
    archive,
  };
  await storeBackup(env, connection, manifest, files);
  return manifest;
}

export async function listBackups(env: Environment): Promise<ListedBackup[]> {
  backupSettings(env);
  return listStored(env, connectionOf(env));
}

/** The backup `id`, or the newest one; an error when there is none. */
export async function findBackup(env: Environment, id?: string): Promise<ListedBackup> {
  const all = await listBackups(env);
  const found = id ? all.find((b) => b.manifest.id === id) : all[0];
  if (!found)
    throw new Error(
      id
        ? `no backup ${id} of stack ${env.name} (ebill-ops backup list --stack ${env.name} shows them)`
        : `stack ${env.name} has no backup yet: take one with 'ebill-ops backup run --stack ${env.name}'`,
    );
  return found;
}

/** A stored file read back, refused when its sha256 is not the one the manifest recorded. */
function checkedFile(
  env: Environment,
  connection: HostsConnection,
  manifest: Manifest,
  name: string,
): Buffer {
  const data = readStoredFile(env, connection, manifest.id, name);
  const want = manifest.files[name]?.sha256;
  if (sha256(data) !== want)
    throw new Error(`backup ${manifest.id}: ${name} has sha256 ${sha256(data)}, the manifest says ${want}`);
  return data;
}

export function readDump(env: Environment, connection: HostsConnection, manifest: Manifest): DatabaseDump {
  return JSON.parse(gunzipSync(checkedFile(env, connection, manifest, DATABASE_FILE)).toString("utf8"));
}

/** Writes a backup's archive tar into `dir`; its path. */
export function readArchiveTar(
  env: Environment,
  connection: HostsConnection,
  manifest: Manifest,
  dir: string,
) {
  const file = path.join(dir, ARCHIVE_FILE);
  writeFileSync(file, checkedFile(env, connection, manifest, ARCHIVE_FILE));
  return file;
}

export interface VerifyReport {
  manifest: Manifest;
  /** Figures recorded at backup time. */
  expected: Figures;
  /** Figures of the restored scratch database. */
  restored: Figures | null;
  /** Figures of the live database now, for comparison (null when it could not be read). */
  live: Figures | null;
  archiveFiles: number;
  differences: string[];
  restorable: boolean;
}

/**
 * Restores a backup into a scratch database and compares, table by table, its figures with those
 * recorded at backup time; the archive tar's files with the checksums read on the file host then.
 * The result is recorded beside the backup (inspection reports it).
 */
export async function verifyBackup(env: Environment, id?: string): Promise<VerifyReport> {
  const connection = connectionOf(env);
  const { manifest } = await findBackup(env, id);
  if (!manifest.figures)
    throw new Error(
      `backup ${manifest.id} is a scheduled dump of the engine's own tool (database.dump): restore it with that ` +
        `engine's pg_restore/sys_restore into a scratch server of the same version; backup verify restores the ` +
        `backups 'ebill-ops backup run' takes (docs/backups-upgrades.md)`,
    );
  const expected = manifest.figures;
  const differences: string[] = [];
  let restored: Figures | null = null;
  try {
    const dump = readDump(env, connection, manifest);
    restored = await withScratchDatabase(async (client) => {
      // The whole reference schema: the dump holds runtime tables too (stock cursors, delivery states, logins).
      await client.query(referenceSchemaDdl(dump.schema));
      await restoreRows(client, dump);
      return figures(client, dump.schema, expected.recentBills.from);
    });
    differences.push(...compareFigures(expected, restored));
  } catch (error) {
    differences.push(`database: ${error instanceof Error ? error.message : String(error)}`);
  }
  let archiveFiles = 0;
  if (manifest.archive) {
    const dir = mkdtempSync(path.join(tmpdir(), "ebill-verify-"));
    try {
      const saved = await tarChecksums(readArchiveTar(env, connection, manifest, dir));
      archiveFiles = Object.keys(saved).length;
      differences.push(...compareChecksums(manifest.archive, saved).map((d) => `archive ${d}`));
    } catch (error) {
      differences.push(`archive: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const live = await withClient(env, (c) => figures(c, schemaOf(env), expected.recentBills.from)).catch(
    () => null,
  );
  const restorable = differences.length === 0;
  const verification: Verification = { at: now().toISOString(), restorable, differences };
  await recordVerification(env, connection, manifest.id, verification);
  return { manifest, expected, restored, live, archiveFiles, differences, restorable };
}
