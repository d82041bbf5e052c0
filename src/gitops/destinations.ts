/**
 * Where a stack's secrets go. The pull-request plan job holds the stack's secrets and reads the
 * pull request's declaration, so a pull request could otherwise point `database.host` at a machine
 * of its author's and have the runner log in there with the production password. Before planning,
 * the job compares these destinations with the base branch's declaration (evaluated from the base,
 * which is reviewed code); when any differs, the stack is planned without its secrets only after
 * the change is merged (docs/trust-model.md).
 *
 * A destination is everything that decides which secret is sent where: the database connection
 * (the password goes there), the fiscal platform (signed with the app key), the hosts Ansible
 * renders the application's secrets onto (role app), and which secret each field references.
 */
import { secretUses } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";

/** Destination -> what it is, in a form two declarations can be compared by. */
export function secretDestinations(env: Environment): Map<string, string> {
  const destinations = new Map<string, string>();
  const db = env.database;
  destinations.set(
    "database",
    `${db.engine} ${db.user}@${db.host}:${db.port}/${db.name} (sslMode ${db.sslMode})`,
  );
  destinations.set("interfaces.fiscal.url", env.interfaces.fiscal.url);
  for (const host of env.hosts.filter((h) => h.roles.includes("app")))
    destinations.set(
      `app host ${host.name}`,
      `${host.ssh.user}@${host.address}:${host.ssh.port} ${host.ssh.hostKey ?? "(no pinned host key)"}`,
    );
  for (const use of secretUses(env))
    destinations.set(`secret ${use.name}`, `used by ${use.paths.join(", ")}`);
  return destinations;
}

/** Every destination the head declaration adds or changes compared with the base, in words. */
export function destinationChanges(base: Environment, head: Environment): string[] {
  const before = secretDestinations(base);
  const after = secretDestinations(head);
  const changes: string[] = [];
  for (const [what, now] of after) {
    const was = before.get(what);
    if (was === undefined) changes.push(`${what}: new, ${now}`);
    else if (was !== now) changes.push(`${what}: ${was} -> ${now}`);
  }
  // A destination that disappears sends nothing anywhere new; a secret moved elsewhere shows above.
  return changes;
}
