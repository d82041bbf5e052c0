/**
 * One health-check run: the three collectors at once (Ansible over every host, the database, the
 * interface probes), then every check of the view judged on what they gathered.
 */
import type { Environment } from "../model/environment.ts";
import { now as clockNow } from "../base/time.ts";
import { collectBackups } from "./collect-backups.ts";
import { collectDatabase } from "./collect-database.ts";
import { collectHosts } from "./collect-hosts.ts";
import { collectInterfaces } from "./collect-interfaces.ts";
import type { HealthFacts, PreviousSizes } from "./facts.ts";
import type { HealthContext } from "./judge.ts";
import { evaluateChecks } from "./library.ts";
import type { Finding } from "./types.ts";

export interface HealthRun {
  /** The tool's clock when the run started (EBILL_OPS_TODAY rehearses). */
  at: Date;
  quick: boolean;
  facts: HealthFacts;
  findings: Finding[];
  /** Wall-clock seconds of each collector and of the whole run. */
  seconds: { hosts: number; database: number; interfaces: number; total: number };
}

export interface RunOptions {
  /** The monitor's subset: no package scan, no log scans, nothing slow. */
  quick: boolean;
  /** Days the bills-per-day series covers (an inspection's quarter). */
  quarter?: { from: string; to: string };
  previous?: PreviousSizes;
  /** Upper bound of a probe's wait, whatever the interface's declared timeout. */
  probeCapMs?: number;
  now?: Date;
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const started = Date.now();
  const value = await f();
  return [value, (Date.now() - started) / 1000];
};

export async function runHealthChecks(env: Environment, options: RunOptions): Promise<HealthRun> {
  const at = options.now ?? clockNow();
  const started = Date.now();
  const [[hosts, hostSeconds], [database, dbSeconds], [interfaces, ifaceSeconds], [backups]] =
    await Promise.all([
      timed(() => collectHosts(env, { quick: options.quick })),
      timed(() =>
        collectDatabase(env, { now: at, ...(options.quarter ? { quarter: options.quarter } : {}) }),
      ),
      timed(() => collectInterfaces(env, { capMs: options.probeCapMs ?? (options.quick ? 5_000 : 10_000) })),
      // The backup listing is one SSH call; the quick view (monitor) does not judge backups.
      timed(() => (options.quick ? Promise.resolve(undefined) : collectBackups(env))),
    ]);
  const facts: HealthFacts = { hosts, database, interfaces, ...(backups ? { backups } : {}) };
  const ctx: HealthContext = {
    now: at,
    env,
    thresholds: env.maintenance.thresholds,
    ...(options.previous ? { previous: options.previous } : {}),
  };
  return {
    at,
    quick: options.quick,
    facts,
    findings: evaluateChecks(facts, ctx, { quick: options.quick }),
    seconds: {
      hosts: hostSeconds,
      database: dbSeconds,
      interfaces: ifaceSeconds,
      total: (Date.now() - started) / 1000,
    },
  };
}
