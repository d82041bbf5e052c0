/**
 * Rolling product upgrade of a stack's app hosts to `app.version`, from releases/<version>/.
 *
 * Plan: the version each app host runs now (its `<installDir>/current` link), and per host
 * "upgrade 1.0.3 → 1.0.4", with the migrations still to run.
 *
 * Apply: the release is read first (a package whose sha256 does not match is refused before any
 * system is touched); then a backup; then one app host at a time: taken out of the proxy, stopped,
 * the new package unpacked and switched to, the migrations run once (on the first host), started,
 * health-checked with the service's own signed status call (it must answer with the new version),
 * put back. The next host only when the previous is healthy. A failed health check rolls that host
 * back to its previous package, runs the down migrations when no host runs the new version any
 * more, puts it back, and stops: later hosts are never touched.
 *
 * Resumable: what is done is read back from the hosts (their current link, their health) and from
 * the tool's schema (the run's backup, the migrations that ran), so a rerun after a kill -9
 * continues where it stopped and ends converged.
 */
import { withClient } from "../db/connect.ts";
import type { HostsConnection } from "../hosts/connection.ts";
import { appHosts, drainFromProxy, setProxyMembers } from "../hosts/proxy.ts";
import { onHost, shellQuote, tryOnHost } from "../hosts/ssh.ts";
import type { Environment, Host } from "../model/environment.ts";
import { resolveSecret } from "../config/secrets.ts";
import { networkScope, probe, STATUS_CALL, type ProbeTarget } from "../probe/probe.ts";
import { connectionOf, runBackup } from "../backup/backup.ts";
import { readRelease, type Release } from "./release.ts";
import { appliedMigrations, finishRun, openRun, runMigrations, startRun, type OpenRun } from "./state.ts";

export interface HostStep {
  host: string;
  from: string | null;
  to: string;
  action: "upgrade" | "install" | "none";
}

export interface UpgradePlan {
  stack: string;
  target: string;
  hosts: HostStep[];
  /** Up migrations of the target not yet run. */
  migrations: string[];
}

export type HostOutcome = "upgraded" | "already" | "rolled-back" | "rollback-failed" | "not-touched";

export interface UpgradeReport {
  stack: string;
  target: string;
  backupId: string | null;
  resumed: boolean;
  ok: boolean;
  hosts: { host: string; from: string | null; outcome: HostOutcome; detail: string }[];
  migrations: string;
}

/** The version a host runs: the folder `current` points at, or null when nothing was installed. */
async function installedVersion(
  env: Environment,
  connection: HostsConnection,
  host: Host,
): Promise<string | null> {
  const dir = env.app.installDir;
  const out = await onHost(connection, host, `readlink ${shellQuote(`${dir}/current`)} || true`);
  const target = out.trim();
  return target ? target.split("/").pop()! : null;
}

export async function planUpgrade(env: Environment, release?: Release): Promise<UpgradePlan> {
  const target = env.app.version;
  const rel = release ?? readRelease(target);
  const connection = connectionOf(env);
  const hosts: HostStep[] = [];
  for (const host of appHosts(env)) {
    const from = await installedVersion(env, connection, host);
    const action = from === target ? "none" : from === null ? "install" : "upgrade";
    if (action === "upgrade" && !rel.manifest.upgradesFrom.includes(from!))
      throw new Error(
        `releases/${target}/manifest.json: upgradesFrom: ${host.name} runs ${from}, which release ${target} does not upgrade from ` +
          `(${rel.manifest.upgradesFrom.join(", ") || "none listed"}); upgrade through an intermediate release first. Nothing was changed`,
      );
    hosts.push({ host: host.name, from, to: target, action });
  }
  const done = await withClient(env, (c) => appliedMigrations(c, target));
  return {
    stack: env.name,
    target,
    hosts,
    migrations: rel.manifest.migrations.up.filter((f) => !done.includes(f)),
  };
}

// ---------------------------------------------------------------------------------------------
// The steps on one host

function serviceCommand(env: Environment, connection: HostsConnection, verb: "start" | "stop"): string {
  return connection.serviceManager === "script"
    ? `${shellQuote(`${env.app.installDir}/bin/ebill-appctl`)} ${verb}`
    : `systemctl ${verb} ebill-app`;
}

/** Unpacks a package next to the others and points `current` at it (`previous` at the old one). */
async function installPackage(env: Environment, connection: HostsConnection, host: Host, release: Release) {
  const dir = env.app.installDir;
  const version = release.manifest.version;
  const folder = `${dir}/releases/${version}`;
  await onHost(
    connection,
    host,
    `set -e; rm -rf ${shellQuote(`${folder}.partial`)}; mkdir -p ${shellQuote(`${folder}.partial`)}
tar -C ${shellQuote(`${folder}.partial`)} -xzf -
rm -rf ${shellQuote(folder)}; mv ${shellQuote(`${folder}.partial`)} ${shellQuote(folder)}
old=$(readlink ${shellQuote(`${dir}/current`)} || true)
if [ -n "$old" ] && [ "$old" != ${shellQuote(folder)} ]; then ln -sfn "$old" ${shellQuote(`${dir}/previous`)}; fi
ln -sfn ${shellQuote(folder)} ${shellQuote(`${dir}/current`)}`,
    release.package,
  );
}

/** Points `current` back at `previous`; the version it now runs, or null when there was none. */
async function switchBack(env: Environment, connection: HostsConnection, host: Host): Promise<string | null> {
  const dir = env.app.installDir;
  const out = await onHost(
    connection,
    host,
    `p=$(readlink ${shellQuote(`${dir}/previous`)} || true); [ -n "$p" ] && ln -sfn "$p" ${shellQuote(`${dir}/current`)}; echo "$p"`,
  );
  return out.trim() ? out.trim().split("/").pop()! : null;
}

/** The service's own status call on one host; healthy when it answers signed, S0000, with `version`. */
async function healthy(
  env: Environment,
  host: Host,
  version: string,
  tries = 40,
): Promise<{ ok: boolean; evidence: string }> {
  const target: ProbeTarget = {
    name: `e-bill service on ${host.name}`,
    url: `http://${host.address}:${env.app.port}${env.app.contextPath}/api/medical`,
    timeoutMs: 3000,
    proof: {
      kind: "signed-call",
      appId: env.interfaces.fiscal.appId,
      appKey: resolveSecret(env.interfaces.fiscal.appKey),
      ...STATUS_CALL,
    },
  };
  const scope = networkScope(env);
  let evidence = "";
  for (let i = 0; i < tries; i++) {
    const r = await probe(target, scope);
    const answered = (r.message as { version?: unknown } | undefined)?.version;
    if (r.verdict === "verified" && r.result === "S0000" && answered === version)
      return { ok: true, evidence: `signed status answer, version ${version}` };
    evidence =
      r.verdict === "verified" ? `answers version ${String(answered)}, result ${r.result}` : r.evidence;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ok: false, evidence };
}

// ---------------------------------------------------------------------------------------------
// The rollout

export interface ApplyOptions {
  say?: (line: string) => void;
  /** Test hook: called after each host is done and back in the proxy. */
  afterHost?: (host: string) => Promise<void> | void;
  /**
   * Only these app hosts (the ones a reviewed plan names); the others are left exactly as they
   * are, even one that runs the target but does not answer. Default: every app host.
   */
  hosts?: readonly string[];
}

export async function applyUpgrade(env: Environment, options: ApplyOptions = {}): Promise<UpgradeReport> {
  const say = options.say ?? (() => {});
  const target = env.app.version;
  // First, before anything is touched: the release and its package's checksum.
  const release = readRelease(target);
  const plan = await planUpgrade(env, release);
  const connection = connectionOf(env);
  const report: UpgradeReport = {
    stack: env.name,
    target,
    backupId: null,
    resumed: false,
    ok: true,
    hosts: [],
    migrations: plan.migrations.length ? `to run: ${plan.migrations.join(", ")}` : "none to run",
  };
  const hosts = appHosts(env);
  const members = new Set(hosts.map((h) => h.name));

  const work = plan.hosts.some((h) => h.action !== "none" && (options.hosts?.includes(h.host) ?? true));
  const run = await resumeOrBackUp(env, work, report, say);

  for (const [index, host] of hosts.entries()) {
    const step = plan.hosts[index]!;
    if (options.hosts && !options.hosts.includes(host.name)) {
      const outcome = step.action === "none" ? "already" : "not-touched";
      report.hosts.push({ host: host.name, from: step.from, outcome, detail: "not in the plan" });
      continue;
    }
    if (step.action === "none" && (await healthy(env, host, target, 4)).ok) {
      report.hosts.push({ host: host.name, from: step.from, outcome: "already", detail: `runs ${target}` });
      continue;
    }
    say(`${host.name}: ${step.from ? `upgrade ${step.from} → ${target}` : `install ${target}`}`);
    await drainFromProxy(env, connection, members, host.name);
    await onHost(connection, host, serviceCommand(env, connection, "stop"));
    await installPackage(env, connection, host, release);
    const pending = release.up.filter((m) => plan.migrations.includes(m.file));
    const ran = await withClient(env, (c) => appliedMigrations(c, target));
    const todo = pending.filter((m) => !ran.includes(m.file));
    if (todo.length > 0) {
      await withClient(env, (c) => runMigrations(c, target, "up", todo, todo));
      say(`  migrations run: ${todo.map((m) => m.file).join(", ")}`);
    }
    await onHost(connection, host, serviceCommand(env, connection, "start"));
    const health = await healthy(env, host, target);
    if (health.ok) {
      members.add(host.name);
      await setProxyMembers(env, connection, members);
      say(`  ${host.name} healthy (${health.evidence}), back in the proxy`);
      report.hosts.push({ host: host.name, from: step.from, outcome: "upgraded", detail: health.evidence });
      await options.afterHost?.(host.name);
      continue;
    }
    say(`  ${host.name} failed its health check: ${health.evidence}; rolling it back`);
    report.ok = false;
    report.hosts.push(
      await rollBackHost(env, connection, host, step, release, health.evidence, report, members),
    );
    for (const rest of hosts.slice(index + 1))
      report.hosts.push({
        host: rest.name,
        from: plan.hosts[hosts.indexOf(rest)]!.from,
        outcome: "not-touched",
        detail: "the rollout stopped before it",
      });
    break;
  }
  await setProxyMembers(env, connection, members);
  if (run) await withClient(env, (c) => finishRun(c, run!, report.ok ? "upgraded" : "rolled back"));
  return report;
}

/**
 * The open run of this target (resumed: its backup was taken at its start), else, when there is
 * work, a backup first and a new run; sets the report's backup and resumed.
 */
async function resumeOrBackUp(
  env: Environment,
  work: boolean,
  report: UpgradeReport,
  say: (line: string) => void,
): Promise<OpenRun | null> {
  const target = report.target;
  let run = await withClient(env, (c) => openRun(c, env.name, target));
  if (run) {
    report.resumed = true;
    say(`resuming the upgrade to ${target} (backup ${run.backupId} taken at its start)`);
  } else if (work) {
    say("taking a backup before the upgrade ...");
    const backup = await runBackup(env, `before upgrade to ${target}`);
    say(`backup ${backup.id} taken`);
    run = await withClient(env, (c) => startRun(c, env.name, target, backup.id));
  }
  report.backupId = run?.backupId ?? null;
  return run;
}

async function rollBackHost(
  env: Environment,
  connection: HostsConnection,
  host: Host,
  step: HostStep,
  release: Release,
  why: string,
  report: UpgradeReport,
  members: Set<string>,
): Promise<UpgradeReport["hosts"][number]> {
  const target = release.manifest.version;
  await tryOnHost(connection, host, serviceCommand(env, connection, "stop"));
  const back = await switchBack(env, connection, host);
  // Down migrations only when no other host runs the new version (they would need its schema).
  const others = report.hosts.some((h) => h.outcome === "upgraded" || h.outcome === "already");
  const ran = await withClient(env, (c) => appliedMigrations(c, target));
  if (!others && ran.length > 0) {
    if (release.down.length > 0) {
      await withClient(env, (c) => runMigrations(c, target, "down", release.down, []));
      report.migrations = `rolled back: ${release.down.map((m) => m.file).join(", ")}`;
    } else {
      report.migrations = `ran ${ran.join(", ")} and the release has no down migrations: restore backup ${report.backupId} (docs/backups-upgrades.md)`;
    }
  }
  if (!back)
    return {
      host: host.name,
      from: step.from,
      outcome: "rollback-failed",
      detail: `${why}; no previous package to go back to`,
    };
  await onHost(connection, host, serviceCommand(env, connection, "start"));
  const health = await healthy(env, host, back);
  if (!health.ok)
    return {
      host: host.name,
      from: step.from,
      outcome: "rollback-failed",
      detail: `${why}; back on ${back} but not healthy: ${health.evidence}`,
    };
  members.add(host.name);
  return {
    host: host.name,
    from: step.from,
    outcome: "rolled-back",
    detail: `${why}; back on ${back}, healthy`,
  };
}
