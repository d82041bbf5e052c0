/**
 * Which app hosts the stack's proxy hosts send requests to. Anything that stops the service on an
 * app host (a product upgrade, a configuration change the hosts part applies) takes that host out
 * first, waits for the requests already sent to it, and puts it back once it answers again, so the
 * other app hosts carry the traffic and no caller sees a failed call.
 */
import type { Environment, Host } from "../model/environment.ts";
import { isManaged } from "../inventory/render.ts";
import type { HostsConnection } from "./connection.ts";
import { onHost, shellQuote } from "./ssh.ts";

/** The file a proxy host balances over: one `address:port` per line (the sandbox proxy reads it per request). */
export const PROXY_BACKENDS = "/etc/ebill-proxy/backends";

/** Lets requests the proxy already sent to a host finish before it stops. */
export const DRAIN_MS = 1000;

export const appHosts = (env: Environment): Host[] =>
  env.hosts.filter((h) => isManaged(h) && h.roles.includes("app"));

export const proxyHosts = (env: Environment): Host[] =>
  env.hosts.filter((h) => isManaged(h) && h.roles.includes("proxy"));

/** Writes every proxy host's backends: the app hosts in `members`, in declared order. */
export async function setProxyMembers(
  env: Environment,
  connection: HostsConnection,
  members: ReadonlySet<string>,
): Promise<void> {
  const lines = appHosts(env)
    .filter((h) => members.has(h.name))
    .map((h) => `${h.address}:${env.app.port}\n`)
    .join("");
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
