/**
 * Where a declared tablespace location lives on disk.
 *
 * Production and test stacks: the location is used as declared. The directory must already exist
 * on the database host, empty and owned by the database server's OS user (the Ansible `db` role
 * prepares it); CREATE TABLESPACE fails with PostgreSQL's own message otherwise.
 *
 * Sandbox stacks (`kind: "sandbox"`): the server runs on this machine from `.sandbox/` (or a test
 * temp dir), and the declared path (e.g. /var/lib/ebill/tablespaces/2026) is mapped under the
 * server root: `<root>/tablespaces/var/lib/ebill/tablespaces/2026`, where `<root>` is the parent of
 * the server's data directory. The tool creates that directory and gives it to the server's OS
 * user, so a sandbox needs no root and no system paths. Reading back maps the other way, so the
 * plan compares declared locations with declared locations.
 */
import { chown, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Environment } from "../model/environment.ts";

export const SANDBOX_TABLESPACE_DIR = "tablespaces";

function sandboxBase(dataDirectory: string): string {
  return path.join(path.dirname(dataDirectory), SANDBOX_TABLESPACE_DIR);
}

export function isMapped(env: Pick<Environment, "kind">): boolean {
  return env.kind === "sandbox";
}

/** The directory PostgreSQL is given for a declared location. */
export function physicalLocation(
  env: Pick<Environment, "kind">,
  dataDirectory: string,
  declared: string,
): string {
  if (!isMapped(env)) return declared;
  return path.join(sandboxBase(dataDirectory), path.resolve("/", declared));
}

/** The declared location a live tablespace corresponds to (inverse of physicalLocation). */
export function declaredLocation(
  env: Pick<Environment, "kind">,
  dataDirectory: string,
  physical: string,
): string {
  if (!isMapped(env)) return physical;
  const base = sandboxBase(dataDirectory);
  return physical.startsWith(base + "/") ? physical.slice(base.length) : physical;
}

/**
 * Sandbox only: creates the mapped directory and gives it to the owner of the data directory (the
 * server's OS user). An existing non-empty directory is refused: PostgreSQL would refuse it too,
 * with a less helpful message.
 */
export async function prepareSandboxLocation(dataDirectory: string, physical: string): Promise<void> {
  const owner = await stat(dataDirectory).catch(() => null);
  if (!owner)
    throw new Error(
      `cannot see the sandbox data directory ${dataDirectory} from this process; sandbox tablespaces need the tool on the database's machine`,
    );
  await mkdir(physical, { recursive: true });
  const entries = await readdir(physical);
  if (entries.length > 0)
    throw new Error(
      `tablespace directory ${physical} is not empty (left from an earlier server?); remove it or run 'ebill-ops sandbox reset'`,
    );
  // Every level we created below the base must be traversable by the server user.
  const base = sandboxBase(dataDirectory);
  for (let dir = physical; dir.startsWith(base); dir = path.dirname(dir)) {
    if (process.getuid?.() === 0) await chown(dir, owner.uid, owner.gid);
    if (dir === base) break;
  }
}
