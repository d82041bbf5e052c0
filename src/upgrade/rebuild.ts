/**
 * Rebuilding a host that was reinstalled or replaced (运行环境适配): `host rebuild --stack S HOST`.
 *
 * 1. The host's SSH key must already be the one declared (hosts[].ssh.hostKey, by pull request):
 *    never trusted on first use. A missing or different declaration stops everything, with the key
 *    the host presents, to review against the server's console.
 * 2. A verified backup must exist (its data is what comes back); checked before anything changes.
 * 3. The host converges from the declaration (tasks/ansible/site.yml, this host only).
 * 4. Its data comes back from the latest verified backup: the archive files on a file host; on a
 *    database host an empty database gets the backup's rows (a database that holds bills is never
 *    overwritten). Print component settings are declared, so converging restores them.
 * 5. A health check (the archive files' checksums equal the backup's) and a drift check (the same
 *    playbook in check mode changes nothing on the host).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { output } from "../base/exec.ts";
import { withClient } from "../db/connect.ts";
import { referenceSchemaDdl, qualified, schemaOf, T } from "../db/reference-schema.ts";
import { runPlaybook } from "../hosts/ansible.ts";
import type { HostsConnection } from "../hosts/connection.ts";
import { parseAnsibleJson, interpret, hostOf } from "../hosts/results.ts";
import { hostNamed } from "../hosts/ssh.ts";
import { isManaged } from "../inventory/render.ts";
import type { Environment, Host } from "../model/environment.ts";
import { connectionOf, listBackups, readArchiveTar, readDump } from "../backup/backup.ts";
import { compareChecksums, liveArchiveChecksums, pushArchive } from "../backup/archive.ts";
import { restoreRows } from "../backup/dump.ts";

export interface RebuildReport {
  host: string;
  backupId: string;
  converged: number;
  restored: string[];
  health: string[];
  drift: string[];
  ok: boolean;
}

/** The host key the host presents now (`type base64`), read with ssh-keyscan. */
async function presentedKey(connection: HostsConnection, host: Host): Promise<string | null> {
  const scan = [
    "ssh-keyscan",
    "-T",
    "5",
    "-p",
    String(host.ssh.port),
    "-t",
    "ed25519,ecdsa,rsa",
    host.address,
  ];
  const text = await (
    connection.netns
      ? output("ip", ["netns", "exec", connection.netns, ...scan])
      : output(scan[0]!, scan.slice(1))
  ).catch(() => "");
  const declaredType = host.ssh.hostKey?.split(" ")[0];
  const keys = text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" ").slice(1, 3).join(" "));
  return (
    keys.find((k) => k.startsWith(`${declaredType} `)) ??
    keys.find((k) => k.startsWith("ssh-ed25519 ")) ??
    null
  );
}

/** Refuses unless the host presents exactly the declared key. */
async function checkHostKey(env: Environment, connection: HostsConnection, host: Host): Promise<void> {
  const index = env.hosts.indexOf(host);
  const presented = await presentedKey(connection, host);
  if (!presented)
    throw new Error(
      `${host.name} (${host.address}) does not answer SSH: no host key to check. Nothing was changed`,
    );
  const review = `review it against the server's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then declare it in hosts[${index}].ssh.hostKey by pull request. Nothing was changed`;
  if (!host.ssh.hostKey)
    throw new Error(
      `hosts[${index}].ssh.hostKey: ${host.name} declares no host key; it presents ${presented}: ${review}`,
    );
  if (host.ssh.hostKey !== presented)
    throw new Error(
      `hosts[${index}].ssh.hostKey: ${host.name} presents ${presented}, the stack declares ${host.ssh.hostKey}; ` +
        `if the host was reinstalled, ${review}`,
    );
}

async function playbook(env: Environment, connection: HostsConnection, host: Host, check: boolean) {
  const result = await runPlaybook(env, connection, {
    playbook: "site.yml",
    check,
    diff: true,
    json: true,
    limit: [host.name],
  });
  const outcome = interpret(parseAnsibleJson(result.stdout, result.stderr));
  if (outcome.failures.length > 0)
    throw new Error(
      `site.yml${check ? " --check" : ""} on ${host.name} failed:\n  ${outcome.failures.join("\n  ")}`,
    );
  return outcome.changes.filter((c) => hostOf(c) === host.name);
}

export async function rebuildHost(
  env: Environment,
  name: string,
  say: (line: string) => void = () => {},
): Promise<RebuildReport> {
  const host = hostNamed(env, name);
  if (!isManaged(host))
    throw new Error(`${name} is not managed over SSH (os ${host.os}); nothing to rebuild`);
  const shared = connectionOf(env);
  await checkHostKey(env, shared, host);
  const verified = (await listBackups(env)).find((b) => b.verification?.restorable);
  if (!verified)
    throw new Error(
      `stack ${env.name} has no verified backup to restore ${name} from: run 'ebill-ops backup verify --stack ${env.name}'. Nothing was changed`,
    );
  const manifest = verified.manifest;
  say(
    `${name}: host key as declared; restoring from backup ${manifest.id} (verified ${verified.verification!.at})`,
  );

  // Only the declared keys for this host from here on: a stale known_hosts line must not win.
  const dir = mkdtempSync(path.join(tmpdir(), "ebill-rebuild-"));
  try {
    const knownHosts = path.join(dir, "known_hosts");
    writeFileSync(knownHosts, `${host.address} ${host.ssh.hostKey}\n`);
    const pinned: HostsConnection = { ...shared, knownHostsFiles: [knownHosts] };

    say(`${name}: converging from the declaration ...`);
    const converged = await playbook(env, pinned, host, false);
    const restored: string[] = [];
    const health: string[] = [];
    let ok = true;

    if (env.interfaces.fileServer.host === name && manifest.archive) {
      await pushArchive(env, pinned, readArchiveTar(env, shared, manifest, dir));
      restored.push(
        `${Object.keys(manifest.archive).length} archive files into ${env.interfaces.fileServer.archiveRoot}`,
      );
      const live = await liveArchiveChecksums(env, pinned);
      const missing = compareChecksums(manifest.archive, live).filter(
        (d) => !d.endsWith("not in the backup"),
      );
      health.push(
        missing.length ? `archive: ${missing.join("; ")}` : "archive files: checksums equal the backup's",
      );
      ok &&= missing.length === 0;
    }
    if (host.roles.includes("db"))
      restored.push(await restoreEmptyDatabase(env, readDump(env, shared, manifest)));

    const drift = (await playbook(env, pinned, host, true)).map((c) => `${c.id}: ${c.note ?? c.kind}`);
    ok &&= drift.length === 0;
    return { host: name, backupId: manifest.id, converged: converged.length, restored, health, drift, ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Restores the backup's rows into the stack's database only when it holds no bills. */
async function restoreEmptyDatabase(env: Environment, dump: ReturnType<typeof readDump>): Promise<string> {
  return withClient(env, async (c) => {
    const schema = schemaOf(env);
    const exists = await c.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
      qualified(schema, T.bill),
    ]);
    if (exists.rows[0]!.ok) {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${qualified(schema, T.bill)}`,
      );
      if (rows[0]!.n > 0) return `database: holds ${rows[0]!.n} bills, not overwritten`;
    }
    // The whole reference schema: the product tables a dump holds include the runtime ones (stock cursors, delivery states, logins).
    await c.query(referenceSchemaDdl(schema));
    await restoreRows(c, dump);
    const bills = dump.tables.find((t) => t.name === T.bill)?.rows.length ?? 0;
    return `database: restored ${bills} bills and the basic information`;
  });
}
