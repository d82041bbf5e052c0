/**
 * The product upgrade as the third part of plan, apply and drift (after the database and the
 * hosts): changing `app.version` in a stack makes the plan show, per app host, "upgrade 1.0.3 →
 * 1.0.4" with the migrations to run, and applying it runs the rolling upgrade of rollout.ts for
 * exactly those hosts (a backup first, one host at a time, a failed host rolled back). So a pull
 * request that changes the version shows the upgrade in its plan comment, and the merge applies it
 * inside the change window like any other change. `upgrade plan|apply` are the same seen alone.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { canonicalJson, sha256 } from "../base/canonical.ts";
import { hostsConnection } from "../hosts/connection.ts";
import { reachable } from "../hosts/source.ts";
import type { Environment } from "../model/environment.ts";
import type { Change, PlanSource } from "../plan/types.ts";
import { releasesDir } from "./release.ts";
import { appHosts } from "../hosts/proxy.ts";
import type { UpgradePlan } from "./rollout.ts";

/**
 * The rollout (with the backup it takes and the probe it checks hosts with, and their http and
 * zlib) is loaded only when a stack has a release to plan: a plan or drift of a stack without one
 * never needs it.
 */
const rollout = () => import("./rollout.ts");

export const UPGRADE_KIND = "app.upgrade";

/** One change per app host that does not run `app.version` yet: an upgrade, or a first install. */
export function upgradeChanges(plan: UpgradePlan): Change[] {
  return plan.hosts
    .filter((h) => h.action !== "none")
    .map((h) => ({
      kind: UPGRADE_KIND,
      id: h.host,
      action: h.action === "install" ? "create" : "update",
      destructive: false,
      before: h.from === null ? null : { version: h.from },
      after: { version: h.to, migrations: plan.migrations },
      note:
        `${h.action === "install" ? `install ${h.to}` : `upgrade ${h.from} → ${h.to}`} from releases/${h.to}/: ` +
        "a backup first, then one app host at a time out of the proxy; the migrations run once, with the first host",
    }));
}

/** What the upgrade's plan was read from: each app host's running version and the migrations still to run. */
export function upgradeLiveHash(plan: UpgradePlan): string {
  return sha256(
    canonicalJson({
      target: plan.target,
      hosts: plan.hosts.map((h) => ({ host: h.host, runs: h.from })),
      migrations: plan.migrations,
    }),
  );
}

const say = (line: string) => process.stderr.write(`upgrade: ${line}\n`);

export const upgradeSource: PlanSource = {
  name: "upgrade",

  async available(env: Environment) {
    const hosts = appHosts(env);
    if (hosts.length === 0)
      return { ok: false, reason: "the stack declares no app host", notApplicable: true };
    const manifest = path.join(releasesDir(), env.app.version, "manifest.json");
    // A repository without the release does not manage this stack's upgrades (Lingshui's and the
    // sandbox's versions were installed by the vendor): nothing to check, so a drift issue can
    // still close; an unreachable app host below is different, its version is simply not known.
    if (!existsSync(manifest))
      return {
        ok: false,
        reason: `no release ${env.app.version} (${manifest}): the app hosts' version is not planned; add the release to releases/ to plan its upgrade`,
        notApplicable: true,
      };
    const connection = hostsConnection(env);
    if (!connection.ok) return connection;
    const down: string[] = [];
    for (const h of hosts)
      if (!(await reachable(connection.value, h.address, h.ssh.port)))
        down.push(`${h.name} (${h.address}:${h.ssh.port})`);
    if (down.length > 0)
      return {
        ok: false,
        reason: `cannot reach SSH on app host ${down.join(", ")}: their version is not known`,
      };
    return { ok: true };
  },

  async plan(env) {
    const plan = await (await rollout()).planUpgrade(env);
    return { changes: upgradeChanges(plan), liveHash: upgradeLiveHash(plan) };
  },

  async apply(env, changes, options) {
    const mine = changes.filter((c) => c.kind === UPGRADE_KIND);
    if (mine.length === 0) return;
    const { applyUpgrade, planUpgrade } = await rollout();
    if (options.expectedLiveHash !== undefined) {
      const now = await planUpgrade(env);
      if (upgradeLiveHash(now) !== options.expectedLiveHash)
        throw new Error(
          "upgrade: the app hosts' versions or the migrations run changed since the plan was made (another upgrade?); nothing was changed. Make a new plan and review it.",
        );
    }
    const report = await applyUpgrade(env, { say, hosts: mine.map((c) => c.id) });
    if (!report.ok) {
      const failed = report.hosts.filter(
        (h) => h.outcome === "rolled-back" || h.outcome === "rollback-failed",
      );
      throw new Error(
        `upgrade to ${report.target} stopped: ${failed.map((h) => `${h.host} ${h.outcome}: ${h.detail}`).join("; ")}; ` +
          `later app hosts were not touched; migrations: ${report.migrations}; backup ${report.backupId ?? "none"} was taken first`,
      );
    }
  },
};
