/**
 * The hosts' facts: ONE Ansible run over every managed host, in parallel, running ONE task each
 * (tasks/ansible/inspect.yml, the health_facts role's module). What a host could not answer is
 * said per host; when the run cannot be made at all (no Ansible, sandbox hosts not up), why.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ansibleInstalled, INSTALL_ANSIBLE, runPlaybook } from "../hosts/ansible.ts";
import { hostsConnection } from "../hosts/connection.ts";
import { parseAnsibleJson, type TaskResult } from "../hosts/results.ts";
import { managedHosts } from "../hosts/source.ts";
import type { Environment, HostRole } from "../model/environment.ts";
import type { HostFacts, HostHealth, HostsFacts } from "./facts.ts";
import type { Collected } from "./types.ts";

export const INSPECT_PLAYBOOK = "inspect.yml";

/** The services the stack asks to watch on a host, by its roles (maintenance.services). */
export function watchedServices(env: Environment, roles: readonly HostRole[]): string[] {
  const declared = env.maintenance.services as Partial<Record<HostRole, string[]>>;
  return [...new Set(roles.flatMap((role) => declared[role] ?? []))];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function why(result: TaskResult | undefined, stderr: string): string {
  if (!result) return stderr.trim().split("\n").slice(-3).join(" ") || "Ansible 没有返回这台服务器的结果";
  const msg = typeof result.msg === "string" ? result.msg : JSON.stringify(result.msg ?? "");
  return (msg || "任务失败").replace(/\s+/g, " ").slice(0, 300);
}

export async function collectHosts(
  env: Environment,
  options: { quick: boolean },
): Promise<Collected<HostsFacts>> {
  const started = Date.now();
  const managed = managedHosts(env);
  const notManaged = env.hosts.filter((h) => !managed.includes(h)).map((h) => h.name);
  if (managed.length === 0) return { ok: true, value: { hosts: [], notManaged, seconds: 0 } };
  if (!ansibleInstalled()) return { ok: false, reason: INSTALL_ANSIBLE };
  const connection = hostsConnection(env);
  if (!connection.ok) return { ok: false, reason: connection.reason };

  const dir = await mkdtemp(path.join(tmpdir(), "ebill-ops-inspect-"));
  try {
    const varsFile = path.join(dir, "health-vars.json");
    await writeFile(
      varsFile,
      JSON.stringify({
        health_facts_quick: options.quick,
        health_facts_services_by_host: Object.fromEntries(
          managed.map((h) => [h.name, watchedServices(env, h.roles)]),
        ),
      }),
    );
    const run = await runPlaybook(env, connection.value, {
      playbook: INSPECT_PLAYBOOK,
      json: true,
      args: ["-e", `@${varsFile}`],
    });
    let json;
    try {
      json = parseAnsibleJson(run.stdout, run.stderr);
    } catch (error) {
      return { ok: false, reason: message(error) };
    }
    const task = json.plays?.[0]?.tasks?.[0];
    const end = (task?.task as { duration?: { end?: string } } | undefined)?.duration?.end;
    const answeredBy = end ? Date.parse(end) / 1000 : undefined;
    const hosts: HostFacts[] = managed.map((h) => {
      const result = task?.hosts[h.name];
      const base = { name: h.name, address: h.address, roles: [...h.roles] };
      const health = result?.health as HostHealth | undefined;
      if (!result || result.unreachable || result.failed || !health)
        return { ...base, answered: false, reason: why(result, run.stderr) };
      return { ...base, answered: true, health, ...(answeredBy !== undefined ? { answeredBy } : {}) };
    });
    return { ok: true, value: { hosts, notManaged, seconds: (Date.now() - started) / 1000 } };
  } catch (error) {
    return { ok: false, reason: message(error) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
