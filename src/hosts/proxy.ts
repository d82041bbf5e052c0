/**
 * Which app hosts the stack's proxy hosts send requests to. Anything that stops the service on an
 * app host (a product upgrade, a configuration change the hosts part applies) takes that host out
 * first, waits for the requests already sent to it, and puts it back once it answers again, so the
 * other app hosts carry the traffic and no caller sees a failed call.
 */
import type { Environment, Host } from "../model/environment.ts";
import { isManaged } from "../inventory/render.ts";
import type { Change } from "../plan/types.ts";
import type { HostsConnection } from "./connection.ts";
import { onHost, shellQuote, tryOnHost } from "./ssh.ts";

/** The file a proxy host balances over: one `address:port` per line (the sandbox proxy reads it per request). */
export const PROXY_BACKENDS = "/etc/ebill-proxy/backends";

/** Lets requests the proxy already sent to a host finish before it stops. */
export const DRAIN_MS = 1000;

export const appHosts = (env: Environment): Host[] =>
  env.hosts.filter((h) => isManaged(h) && h.roles.includes("app"));

export const proxyHosts = (env: Environment): Host[] =>
  env.hosts.filter((h) => isManaged(h) && h.roles.includes("proxy"));

/** A proxy host's backends file holding the app hosts in `members`, in declared order. */
function backendsText(env: Environment, members: ReadonlySet<string>): string {
  return appHosts(env)
    .filter((h) => members.has(h.name))
    .map((h) => `${h.address}:${env.app.port}\n`)
    .join("");
}

const allAppHosts = (env: Environment) => new Set(appHosts(env).map((h) => h.name));

/** Writes every proxy host's backends: the app hosts in `members`, in declared order. */
export async function setProxyMembers(
  env: Environment,
  connection: HostsConnection,
  members: ReadonlySet<string> = allAppHosts(env),
): Promise<void> {
  const lines = backendsText(env, members);
  for (const proxy of proxyHosts(env))
    await onHost(
      connection,
      proxy,
      `mkdir -p ${shellQuote(PROXY_BACKENDS.replace(/\/[^/]+$/, ""))} && cat > ${shellQuote(`${PROXY_BACKENDS}.new`)} && mv ${shellQuote(`${PROXY_BACKENDS}.new`)} ${shellQuote(PROXY_BACKENDS)}`,
      lines,
    );
}

/**
 * Takes `host` out of `members` and out of every proxy host, then waits for the requests already
 * sent to it (no wait when the stack has no proxy host: there is nothing to drain).
 */
export async function drainFromProxy(
  env: Environment,
  connection: HostsConnection,
  members: Set<string>,
  host: string,
): Promise<void> {
  members.delete(host);
  await setProxyMembers(env, connection, members);
  if (proxyHosts(env).length > 0) await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
}

/** The kind of a change to the app hosts a proxy host sends requests to. */
export const PROXY_MEMBERS_KIND = "host.proxyMembers";

/**
 * The change that puts a proxy host's backends back to every declared app host, or null when they
 * are that already. `actual` is the file as read (null: there is none).
 */
export function proxyMembersChange(env: Environment, proxy: Host, actual: string | null): Change | null {
  const declared = backendsText(env, allAppHosts(env));
  if (actual === declared) return null;
  const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
  return {
    kind: PROXY_MEMBERS_KIND,
    id: `${proxy.name}${PROXY_BACKENDS}`,
    action: actual === null ? "create" : "update",
    destructive: false,
    before: actual === null ? null : { backends: lines(actual) },
    after: { backends: lines(declared) },
    note:
      "every declared app host, written after the hosts are applied; a host missing here was left " +
      "out by an apply or upgrade that stopped half-way, or by hand",
  };
}

/**
 * What every proxy host's backends differ in from the declared app hosts, read over SSH: so a plan
 * and drift show an app host left out of the proxy, and the next apply puts it back. Nothing else
 * reads the file back; an interrupted roll would otherwise leave the host out for good.
 */
export async function proxyMembersChanges(env: Environment, connection: HostsConnection): Promise<Change[]> {
  const changes: Change[] = [];
  if (appHosts(env).length === 0) return changes; // nothing to balance over
  const file = shellQuote(PROXY_BACKENDS);
  for (const proxy of proxyHosts(env)) {
    const read = await tryOnHost(connection, proxy, `if [ -e ${file} ]; then cat ${file}; else exit 3; fi`);
    if (read.code !== 0 && read.code !== 3)
      throw new Error(
        `hosts: cannot read ${PROXY_BACKENDS} on ${proxy.name}: ${read.stderr.trim() || `exit ${read.code}`}`,
      );
    const change = proxyMembersChange(env, proxy, read.code === 3 ? null : read.stdout);
    if (change) changes.push(change);
  }
  return changes;
}
