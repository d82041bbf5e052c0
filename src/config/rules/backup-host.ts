import type { Environment } from "../../model/environment.ts";
import { osManaged } from "../../model/operating-systems.ts";
import type { Finding } from "./index.ts";

/**
 * Backups are written over SSH to maintenance.backup.host and scheduled there by Ansible, so it
 * must be a managed host of the stack. Keeping them on the file host itself is allowed but warned:
 * losing that disk loses the archive and its copies together.
 */
export function backupHostManaged(env: Environment): Finding[] {
  const backup = env.maintenance.backup;
  if (!backup) return [];
  const host = env.hosts.find((h) => h.name === backup.host);
  if (!host)
    return [
      {
        path: "maintenance.backup.host",
        message: `no host '${backup.host}' in hosts[]; name the host that keeps the backups`,
      },
    ];
  if (!osManaged(host.os))
    return [
      {
        path: "maintenance.backup.host",
        message: `'${backup.host}' runs ${host.os}, which ebill-ops does not manage over SSH; choose a Linux host`,
      },
    ];
  if (backup.archive && backup.host === env.interfaces.fileServer.host)
    return [
      {
        path: "maintenance.backup.host",
        severity: "warning",
        message: `backups kept on the file host '${backup.host}' itself: one lost disk loses the archive and its copies; prefer another host`,
      },
    ];
  return [];
}
