import type { Environment, HostRole } from "../../model/environment.ts";
import { OPERATING_SYSTEMS, OS_IDS, osManaged } from "../../model/operating-systems.ts";
import type { Finding } from "./index.ts";

/**
 * Roles a host may carry on an OS that is not managed over SSH (Windows cashier PCs): the print
 * component, whose PCs are inventoried and probed, and the signature appliance, which is only probed.
 */
const UNMANAGED_ROLES: readonly HostRole[] = ["print-client", "signature"];

/**
 * The schema already refuses an OS the roles do not know; this rule refuses a role the roles cannot
 * configure on the declared OS (an app or database server on Windows), naming where it can run.
 */
export function hostRolesOnSupportedSystems(env: Environment): Finding[] {
  const managedSystems = OS_IDS.filter((id) => osManaged(id)).join(", ");
  return env.hosts.flatMap((h, i) => {
    if (osManaged(h.os)) return [];
    const refused = h.roles.filter((r) => !UNMANAGED_ROLES.includes(r));
    if (refused.length === 0) return [];
    return [
      {
        path: `hosts[${i}].roles`,
        message:
          `host '${h.name}' runs ${OPERATING_SYSTEMS[h.os].name}, which ebill-ops does not configure over SSH, ` +
          `so it cannot have the role${refused.length > 1 ? "s" : ""} ${refused.map((r) => `'${r}'`).join(", ")}; ` +
          `only ${UNMANAGED_ROLES.map((r) => `'${r}'`).join(" and ")} there, or declare one of: ${managedSystems}`,
      },
    ];
  });
}
