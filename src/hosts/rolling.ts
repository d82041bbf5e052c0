/**
 * Applying the hosts part without taking the e-bill service down. A change of the service's files
 * on an app host (its configuration, its unit or start script) restarts it; Ansible would do that
 * on every app host at the same moment. So the app hosts with such changes are applied one at a
 * time, each taken out of the proxy first and put back only when the role's health check passed
 * (site.yml's app play restarts, then waits for the service's own health answer); the other app
 * hosts carry the traffic meanwhile. Hosts without such a change are applied together, first.
 * A stack with one app host has no other host to carry the traffic: everything is one run, as the
 * separate runs would only cost time (one more Ansible start each).
 */
import type { Environment } from "../model/environment.ts";
import type { Change } from "../plan/types.ts";
import type { HostsConnection } from "./connection.ts";
import { appHosts, drainFromProxy, setProxyMembers } from "./proxy.ts";
import { APP_CONFIG_KIND, hostOf, ROLE_KINDS } from "./results.ts";

/** Whether applying the change restarts the e-bill service (the ebill_app role's changes notify it). */
export function restartsService(change: Pick<Change, "kind">): boolean {
  return change.kind === ROLE_KINDS.ebill_app || change.kind === APP_CONFIG_KIND;
}

/** The app hosts whose changes restart the service, in declared order (the order they roll in). */
export function restartingAppHosts(env: Environment, changes: readonly Change[]): string[] {
  return appHosts(env)
    .map((h) => h.name)
    .filter((name) => changes.some((c) => hostOf(c) === name && restartsService(c)));
}

/**
 * Runs `apply` (site.yml limited to some hosts) for every host with changes: the hosts whose service
 * does not restart in one run, then each restarting app host alone, out of the proxy meanwhile.
 * A failed host stops the roll: it stays out of the proxy, the app hosts after it are not touched.
 */
export async function applyRolling(
  env: Environment,
  connection: HostsConnection,
  changes: readonly Change[],
  apply: (limit: string[]) => Promise<unknown>,
  say: (line: string) => void,
): Promise<void> {
  const restarting = appHosts(env).length > 1 ? restartingAppHosts(env, changes) : [];
  const together = [...new Set(changes.map(hostOf))].filter((h) => !restarting.includes(h)).sort();
  if (together.length > 0) await apply(together);
  const members = new Set(appHosts(env).map((h) => h.name));
  for (const [index, name] of restarting.entries()) {
    say(`hosts: ${name} out of the proxy: its changes restart the e-bill service`);
    await drainFromProxy(env, connection, members, name);
    try {
      await apply([name]);
    } catch (error) {
      const untouched = restarting.slice(index + 1);
      throw new Error(
        `${(error as Error).message}\nhosts: ${name} stays out of the proxy until a rerun of apply converges it` +
          (untouched.length > 0 ? `; not touched: ${untouched.join(", ")}` : ""),
      );
    }
    members.add(name);
    await setProxyMembers(env, connection, members);
    say(`hosts: ${name} back in the proxy (its service answered its health check)`);
  }
}
