import type { Environment } from "../../model/environment.ts";
import { osManaged } from "../../model/operating-systems.ts";
import type { Finding } from "./index.ts";

/**
 * Host keys are pinned so that Ansible never trusts a key on first use inside a hospital network.
 * Only the sandbox, whose test hosts get fresh keys each time, may leave them out.
 */
export function hostKeysPinned(env: Environment): Finding[] {
  if (env.kind === "sandbox") return [];
  return env.hosts.flatMap((h, i) =>
    osManaged(h.os) && !h.ssh.hostKey
      ? [
          {
            path: `hosts[${i}].ssh.hostKey`,
            message: `host '${h.name}' has no pinned SSH host key; add the line from 'ssh-keyscan ${h.address}'`,
          },
        ]
      : [],
  );
}
