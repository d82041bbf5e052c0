/**
 * The archive-file part of a backup (归档: interfaces.fileServer.archiveRoot on the file host):
 * copied as one tar over SSH by the zx runbooks under tasks/backup/, with the sha256 of every file
 * read on the file host itself, so verify compares what the backup holds with what was there.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { output } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";
import type { HostsConnection } from "../hosts/connection.ts";
import { hostNamed, onHost, shellQuote, sshPrefix } from "../hosts/ssh.ts";
import type { Environment } from "../model/environment.ts";

/** Relative path (from the archive root) to sha256 hex. */
export type FileChecksums = Record<string, string>;

const RUNBOOKS = path.join(REPO_ROOT, "tasks", "backup");

export function fileHost(env: Environment) {
  return hostNamed(env, env.interfaces.fileServer.host);
}

/** The sha256 of every file under the archive root, read on the file host. */
export async function liveArchiveChecksums(
  env: Environment,
  connection: HostsConnection,
): Promise<FileChecksums> {
  const root = env.interfaces.fileServer.archiveRoot;
  const text = await onHost(
    connection,
    fileHost(env),
    `cd ${shellQuote(root)} 2>/dev/null || exit 0; find . -type f -print0 | sort -z | xargs -0 -r sha256sum`,
  );
  return parseSha256sum(text);
}

export function parseSha256sum(text: string): FileChecksums {
  const out: FileChecksums = {};
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) out[m[2]!.replace(/^\.\//, "")] = m[1]!;
  }
  return out;
}

/** Copies the archive into `tarFile` on this machine (runbook tasks/backup/archive-pull.mjs). */
export async function pullArchive(
  env: Environment,
  connection: HostsConnection,
  tarFile: string,
): Promise<void> {
  await output(process.execPath, [
    path.join(RUNBOOKS, "archive-pull.mjs"),
    "--ssh",
    JSON.stringify(sshPrefix(connection, fileHost(env))),
    "--root",
    env.interfaces.fileServer.archiveRoot,
    "--out",
    tarFile,
  ]);
}

/** Puts a backup's archive files back on the file host (runbook tasks/backup/archive-push.mjs). */
export async function pushArchive(
  env: Environment,
  connection: HostsConnection,
  tarFile: string,
): Promise<void> {
  await output(process.execPath, [
    path.join(RUNBOOKS, "archive-push.mjs"),
    "--ssh",
    JSON.stringify(sshPrefix(connection, fileHost(env))),
    "--root",
    env.interfaces.fileServer.archiveRoot,
    "--tar",
    tarFile,
  ]);
}

/** The sha256 of every file a tar holds (extracted into a temporary folder, then removed). */
export async function tarChecksums(tarFile: string): Promise<FileChecksums> {
  const dir = mkdtempSync(path.join(tmpdir(), "ebill-archive-"));
  try {
    await output("tar", ["-C", dir, "-xf", tarFile]);
    const out: FileChecksums = {};
    for (const rel of walk(dir, "").sort())
      out[rel] = createHash("sha256")
        .update(readFileSync(path.join(dir, rel)))
        .digest("hex");
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function walk(root: string, rel: string): string[] {
  return readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((entry) => {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return walk(root, child);
    return entry.isFile() ? [child] : [];
  });
}

/** Files missing, added or changed between two lists, as readable lines; empty when equal. */
export function compareChecksums(expected: FileChecksums, actual: FileChecksums): string[] {
  const out: string[] = [];
  for (const [file, sum] of Object.entries(expected)) {
    if (!(file in actual)) out.push(`${file}: missing`);
    else if (actual[file] !== sum)
      out.push(`${file}: sha256 ${actual[file]!.slice(0, 12)} instead of ${sum.slice(0, 12)}`);
  }
  for (const file of Object.keys(actual)) if (!(file in expected)) out.push(`${file}: not in the backup`);
  return out;
}
