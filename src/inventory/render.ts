/**
 * The Ansible inventory of a stack: hosts grouped by role, per-host connection variables, and the
 * pinned host keys as a known_hosts file that ansible.cfg points at (strict checking stays on).
 */
import { HOST_ROLES, type Environment, type Host, type HostRole } from "../model/environment.ts";
import { osFamily, osManaged } from "../model/operating-systems.ts";

/** Ansible group names cannot hold '-'. */
export function groupName(role: HostRole): string {
  return role.replace(/-/g, "_");
}

/**
 * Whether Ansible configures the host: every host except signature-server appliances (only
 * probed) and hosts on an OS that is not managed over SSH (Windows cashier PCs).
 */
export function isManaged(host: Pick<Host, "os" | "roles">): boolean {
  return osManaged(host.os) && host.roles.some((r) => r !== "signature");
}

export interface InventoryFiles {
  /** inventory/<stack>/hosts.yml */
  hosts: string;
  /** inventory/<stack>/known_hosts: one line per host with a pinned key */
  knownHosts: string;
}

/**
 * Asynchronous only to load js-yaml here, when an inventory is written: a plan or validate of a
 * JSON stack never needs it, and it is a third of the code every command would load otherwise.
 */
export async function renderInventory(env: Environment): Promise<InventoryFiles> {
  const { dump } = await import("js-yaml");
  const children: Record<string, { hosts: Record<string, null> }> = {};
  for (const role of HOST_ROLES) {
    const members = env.hosts.filter((h) => h.roles.includes(role));
    if (members.length > 0) children[groupName(role)] = { hosts: Object.fromEntries(members.map((h) => [h.name, null])) };
  }
  const managed = env.hosts.filter(isManaged);
  if (managed.length > 0) children.managed = { hosts: Object.fromEntries(managed.map((h) => [h.name, null])) };
  const hosts = Object.fromEntries(
    env.hosts.map((h) => [
      h.name,
      {
        ansible_host: h.address,
        ansible_port: h.ssh.port,
        ansible_user: h.ssh.user,
        ebill_host_os: h.os,
        // The family the roles expect; the first play checks the host agrees (tasks/ansible/roles/host_os).
        ebill_host_os_family: osFamily(h.os),
        ebill_host_roles: h.roles,
      },
    ]),
  );
  const inventory = {
    all: {
      vars: {
        ebill_stack: env.name,
        ebill_environment_kind: env.kind,
        ansible_python_interpreter: "/usr/bin/python3",
      },
      hosts,
      children,
    },
  };
  const header = `# Generated from stacks/${env.name} by 'ebill-ops inventory --stack ${env.name}'. Do not edit by hand.\n`;
  const knownHosts = env.hosts
    .filter((h) => h.ssh.hostKey)
    .map((h) => `${h.ssh.port === 22 ? h.address : `[${h.address}]:${h.ssh.port}`} ${h.ssh.hostKey}\n`)
    .join("");
  return {
    hosts: header + dump(inventory, { lineWidth: 200, sortKeys: false }),
    knownHosts: (knownHosts ? `# Pinned host keys of stack ${env.name}; generated, do not edit.\n` : "") + knownHosts,
  };
}
