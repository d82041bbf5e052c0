import type { Environment, HostRole } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/** The e-bill service cannot run without an application server and a database server. */
export function requiredHostRoles(env: Environment): Finding[] {
  const required: HostRole[] = ["app", "db"];
  return required
    .filter((role) => !env.hosts.some((h) => h.roles.includes(role)))
    .map((role) => ({ path: "hosts", message: `no host has the '${role}' role; declare at least one` }));
}
