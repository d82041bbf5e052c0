/**
 * The hosts' part of plan, apply and drift: tasks/ansible/site.yml in check mode with diffs for a
 * plan (each changed task a Change), the same playbook for the hosts with changes on apply, app
 * hosts whose service restarts one at a time out of the proxy (rolling.ts).
 */
import net from "node:net";
import { run } from "../base/exec.ts";
import type { Environment } from "../model/environment.ts";
import { canonicalJson, sha256 } from "../base/canonical.ts";
import type { Change, PlanSource, Skipped } from "../plan/types.ts";
import { redactDeep, secretValues } from "../config/redact.ts";
import { ansibleInstalled, INSTALL_ANSIBLE, runPlaybook } from "./ansible.ts";
import { type HostsConnection, hostsConnection } from "./connection.ts";
import { hostOf, interpret, parseAnsibleJson, type Interpretation } from "./results.ts";
import { applyRolling } from "./rolling.ts";
import { PROXY_MEMBERS_KIND, proxyMembersChanges, setProxyMembers } from "./proxy.ts";
import { secretVars } from "./vars.ts";
import { isManaged } from "../inventory/render.ts";
import { OPERATING_SYSTEMS, osManaged } from "../model/operating-systems.ts";

/** Hosts Ansible configures: every host except signature-server appliances and Windows PCs. */
export function managedHosts(env: Environment) {
  return env.hosts.filter(isManaged);
}

/**
 * Hosts the plan does not configure because their OS is not managed over SSH (Windows cashier
 * PCs), one entry each in the shape of `Plan.skipped`, so a reviewer sees they were left out on
 * purpose. Later inspections reach them only by what they can probe from outside.
 */
export function unmanagedHosts(env: Environment): Skipped[] {
  return env.hosts
    .filter((h) => !osManaged(h.os))
    .map((h) => ({
      source: `hosts/${h.name}`,
      reason: `${h.name} (${h.address}) runs ${OPERATING_SYSTEMS[h.os].name}: inventoried, not configured over SSH; its ${h.roles.join(", ")} part is checked only by probing`,
      notApplicable: true as const,
    }));
}

/** Whether the host's SSH port accepts a TCP connection within 3 s (inside the namespace if any). */
export async function reachable(
  connection: HostsConnection,
  address: string,
  port: number,
): Promise<boolean> {
  if (connection.netns) {
    const probe = await run("ip", [
      "netns",
      "exec",
      connection.netns,
      "timeout",
      "3",
      "bash",
      "-c",
      `</dev/tcp/${address}/${port}`,
    ]).catch(() => null);
    return probe?.code === 0;
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 3000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

function connectionOrThrow(env: Environment): HostsConnection {
  const connection = hostsConnection(env);
  if (!connection.ok) throw new Error(`hosts: ${connection.reason}`);
  return connection.value;
}

/** Runs site.yml (check mode for plans) and interprets its results; failures stop with every one listed. */
export async function runSite(
  env: Environment,
  options: { check: boolean; limit?: readonly string[]; notice?: (line: string) => void },
): Promise<Interpretation & { seconds: number }> {
  const connection = connectionOrThrow(env);
  const result = await runPlaybook(env, connection, {
    playbook: "site.yml",
    check: options.check,
    diff: true,
    json: true,
    limit: options.limit,
  });
  const secrets = secretValues(env);
  const outcome = redactDeep(interpret(parseAnsibleJson(result.stdout, result.stderr)), secrets);
  for (const w of outcome.warnings) options.notice?.(`hosts: warning: ${w}`);
  if (outcome.failures.length > 0) {
    throw new Error(
      `hosts: ansible-playbook site.yml${options.check ? " --check" : ""} failed; ${options.check ? "nothing was changed" : "hosts before the failure may be changed, rerun apply after fixing"}:\n  ` +
        outcome.failures.join("\n  "),
    );
  }
  return { ...outcome, seconds: result.seconds };
}

/**
 * The hosts part of a plan: site.yml in check mode, then whether every proxy host sends requests
 * to every app host (proxy.ts).
 */
async function planHosts(
  env: Environment,
  notice?: (line: string) => void,
): Promise<{ changes: Change[]; liveHash: string }> {
  const { changes } = await runSite(env, { check: true, notice });
  changes.push(...(await proxyMembersChanges(env, connectionOrThrow(env))));
  return { changes, liveHash: hostsLiveHash(changes) };
}

export function hostsLiveHash(changes: readonly Change[]): string {
  const sorted = [...changes].sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  return sha256(canonicalJson(sorted));
}

export const hostsSource: PlanSource = {
  name: "hosts",

  async available(env) {
    const managed = managedHosts(env);
    if (managed.length === 0)
      return { ok: false, reason: "the stack declares no host Ansible manages", notApplicable: true };
    if (!ansibleInstalled()) return { ok: false, reason: INSTALL_ANSIBLE };
    const connection = hostsConnection(env);
    if (!connection.ok) return connection;
    try {
      secretVars(env);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    const down: string[] = [];
    await Promise.all(
      managed.map(async (h) => {
        if (!(await reachable(connection.value, h.address, h.ssh.port)))
          down.push(`${h.name} (${h.address}:${h.ssh.port})`);
      }),
    );
    if (down.length > 0)
      return {
        ok: false,
        reason: `cannot reach SSH on ${down.sort().join(", ")}${env.kind === "sandbox" ? "; as root run 'ebill-ops sandbox-hosts up'" : "; check the network and that sshd runs"}`,
      };
    return { ok: true };
  },

  /** What the hosts part of a plan leaves out on purpose (see unmanagedHosts). */
  skipped: unmanagedHosts,

  async plan(env) {
    const notice = (line: string) => process.stderr.write(`${line}\n`);
    for (const s of unmanagedHosts(env)) notice(`hosts: notice: not managed: ${s.reason}`);
    return planHosts(env, notice);
  },

  async apply(env, changes, options) {
    if (changes.length === 0) return;
    if (options.expectedLiveHash !== undefined) {
      const { liveHash: hash } = await planHosts(env);
      if (hash !== options.expectedLiveHash)
        throw new Error(
          "hosts: the hosts changed since the plan was made (a hand edit or another apply); nothing was changed. Make a new plan and review it.",
        );
    }
    const say = (line: string) => process.stderr.write(`${line}\n`);
    const connection = connectionOrThrow(env);
    const membership = changes.filter((c) => c.kind === PROXY_MEMBERS_KIND);
    await applyRolling(
      env,
      connection,
      changes.filter((c) => c.kind !== PROXY_MEMBERS_KIND),
      (limit) => runSite(env, { check: false, limit, notice: say }),
      say,
    );
    // Last: a host the roll above left out after a failure does not get here (it threw).
    if (membership.length > 0) {
      await setProxyMembers(env, connection);
      say(`hosts: ${membership.map(hostOf).join(", ")} now sends requests to every app host`);
    }
  },
};
