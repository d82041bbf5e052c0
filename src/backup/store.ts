/**
 * Where backups live: `maintenance.backup.directory` on `maintenance.backup.host`, one folder per
 * backup named by its id (UTC time, sortable):
 *
 *   <dir>/<id>/manifest.json       what was saved, its sha256s and the figures at backup time
 *   <dir>/<id>/database.json.gz    the rows (src/backup/dump.ts)
 *   <dir>/<id>/archive.tar         the archive files (when maintenance.backup.archive)
 *   <dir>/<id>/verification.json   the last `backup verify` of it
 *
 * A backup is written into `<id>.partial` and renamed when complete, so a folder with a manifest is
 * a whole backup and an interrupted run leaves only a `.partial` that list ignores.
 */
import type { HostsConnection } from "../hosts/connection.ts";
import { hostNamed, onHost, readHostFile, shellQuote } from "../hosts/ssh.ts";
import type { Backup, Environment } from "../model/environment.ts";
import type { FileChecksums } from "./archive.ts";
import type { Figures } from "./dump.ts";

export const DATABASE_FILE = "database.json.gz";
export const ARCHIVE_FILE = "archive.tar";

export interface StoredFile {
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: "ebill-ops-backup/1";
  id: string;
  stack: string;
  takenAt: string;
  /** Why it was taken: "manual", "before upgrade to 1.0.4", ... */
  reason: string;
  appVersion: string;
  files: Record<string, StoredFile>;
  /** Null for the scheduled job's engine dumps (tasks/ansible/roles/ebill_backup), which have no figures. */
  figures: Figures | null;
  /** Archive files on the file host at backup time; null when archives are not backed up. */
  archive: FileChecksums | null;
}

export interface Verification {
  at: string;
  restorable: boolean;
  differences: string[];
}

export interface ListedBackup {
  manifest: Manifest;
  bytes: number;
  verification: Verification | null;
}

/** The stack's backup declaration, or an error saying what to declare. */
export function backupSettings(env: Environment): Backup {
  const settings = env.maintenance.backup;
  if (!settings)
    throw new Error(
      `the stack ${env.name} declares no backups: add maintenance.backup { host, directory } (docs/backups-upgrades.md)`,
    );
  hostNamed(env, settings.host);
  return settings;
}

export function backupHost(env: Environment) {
  return hostNamed(env, backupSettings(env).host);
}

export const backupFolder = (env: Environment, id: string) => `${backupSettings(env).directory}/${id}`;

/** A new id from a time: 20261129T170512Z. */
export function backupId(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** Writes the files then the manifest into `<id>.partial`, and renames it into place. */
export async function storeBackup(
  env: Environment,
  connection: HostsConnection,
  manifest: Manifest,
  files: Record<string, Buffer>,
): Promise<void> {
  const host = backupHost(env);
  const final = backupFolder(env, manifest.id);
  const partial = `${final}.partial`;
  await onHost(connection, host, `rm -rf ${shellQuote(partial)} && mkdir -p -m 0700 ${shellQuote(partial)}`);
  for (const [name, content] of Object.entries(files))
    await onHost(connection, host, `cat > ${shellQuote(`${partial}/${name}`)}`, content);
  await onHost(
    connection,
    host,
    `cat > ${shellQuote(`${partial}/manifest.json`)} && mv ${shellQuote(partial)} ${shellQuote(final)}`,
    JSON.stringify(manifest, null, 2) + "\n",
  );
}

/** Every whole backup on the backup host, newest first. */
export async function listStored(env: Environment, connection: HostsConnection): Promise<ListedBackup[]> {
  const dir = backupSettings(env).directory;
  // One line per backup: the manifest, the verification (or {}), the folder's size in bytes.
  const script = `cd ${shellQuote(dir)} 2>/dev/null || exit 0
for m in */manifest.json; do
  [ -f "$m" ] || continue
  d=$(dirname "$m")
  printf '%s\\t%s\\t%s\\n' "$(tr -d '\\n' < "$m")" "$(cat "$d/verification.json" 2>/dev/null | tr -d '\\n' || true)" "$(du -sb "$d" | cut -f1)"
done`;
  const text = await onHost(connection, backupHost(env), script);
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [manifest, verification, bytes] = line.split("\t");
      return {
        manifest: JSON.parse(manifest!) as Manifest,
        verification: verification ? (JSON.parse(verification) as Verification) : null,
        bytes: Number(bytes),
      };
    })
    .filter((b) => b.manifest.stack === env.name)
    .sort((a, b) => b.manifest.id.localeCompare(a.manifest.id));
}

export function readStoredFile(
  env: Environment,
  connection: HostsConnection,
  id: string,
  name: string,
): Buffer {
  return readHostFile(connection, backupHost(env), `${backupFolder(env, id)}/${name}`);
}

export async function recordVerification(
  env: Environment,
  connection: HostsConnection,
  id: string,
  verification: Verification,
): Promise<void> {
  await onHost(
    connection,
    backupHost(env),
    `cat > ${shellQuote(`${backupFolder(env, id)}/verification.json`)}`,
    JSON.stringify(verification) + "\n",
  );
}
