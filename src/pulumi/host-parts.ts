/**
 * Pure planning of the Pulumi program's host side: one command resource per managed host that
 * runs the same Ansible as `ebill-ops apply` (tasks/ansible/site.yml through `ebill-ops ansible`,
 * limited to that host), triggered by a hash of what it would apply to it: the host's declaration,
 * the role variables (no secret: those are resolved by ebill-ops when the command runs, and only
 * their names are hashed) and the playbooks and roles themselves. Change any of them and
 * `pulumi up` runs that host's part again; change nothing and it does not.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ANSIBLE_DIR } from "../hosts/ansible.ts";
import { hostVars, SECRET_VARS } from "../hosts/vars.ts";
import { isManaged } from "../inventory/render.ts";
import type { Environment } from "../model/environment.ts";

export interface HostPartSpec {
  /** Pulumi resource name: `host/<name>`. */
  name: string;
  host: string;
  /** What the command runs (a shell command line; no secret in it). */
  create: string;
  /** Changes when what the host part would apply changes. */
  trigger: string;
}

/** A digest of every file of the playbooks and roles (sorted paths, then contents). */
export function ansibleTreeHash(dir: string = ANSIBLE_DIR): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile())
        hash
          .update(child)
          .update("\0")
          .update(readFileSync(path.join(dir, child)));
    }
  };
  walk("");
  return hash.digest("hex");
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function hostParts(env: Environment, stack: string, treeHash: string): HostPartSpec[] {
  // Production hosts (systemd, no stand-ins): the variables Ansible gets on a real network.
  const vars = hostVars(env, { serviceManager: "systemd", testHosts: false });
  return env.hosts.filter(isManaged).map((host) => {
    const trigger = createHash("sha256")
      .update(JSON.stringify({ host, vars, secrets: Object.keys(SECRET_VARS), tree: treeHash }))
      .digest("hex");
    return {
      name: `host/${host.name}`,
      host: host.name,
      create: `node bin/ebill-ops.mjs ansible --stack ${quote(stack)} -- site.yml --limit ${quote(host.name)}`,
      trigger,
    };
  });
}
