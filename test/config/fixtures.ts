import { Environment, type EnvironmentInput } from "../../src/model/environment.ts";
import sandbox from "../fixtures/stacks/sandbox.ts";

/**
 * A fresh, deep copy of the tests' sandbox-shaped declaration (test/fixtures/stacks/sandbox.ts,
 * fiscal year 2026; not the user's stacks/sandbox.ts) for a test to break one thing in.
 */
export function sandboxInput(): EnvironmentInput {
  return structuredClone(sandbox);
}

/** Parses with the schema (defaults filled); throws if the fixture itself is not schema-valid. */
export function parsed(input: EnvironmentInput): Environment {
  return Environment.parse(input);
}

/** Host keys for fixtures that need pinned keys (production); public keys only, made for tests. */
const TEST_HOST_KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINAGRf+YUZOoEnnhcEkZ+b+LPOhzgvxXrgqg8ssA8ykk",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0qwyCFMXYM4ao2dns/DfrKubNJ9JyulTZLuDR0eK7M",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPBdv0IwSk464T6NtngtCuIv9JGAYljuxZRYwVsiWPp5",
];

/**
 * The fixture as a production stack (`fixture-prod`): host keys pinned, changes only at night
 * (22:00-06:00 Asia/Shanghai), its database on 127.0.0.1 so nothing could ever leave the machine.
 * For tests of production-only rules, instead of the Lingshui stacks (which are the user's).
 */
export function productionInput(): EnvironmentInput {
  const input = sandboxInput();
  input.name = "fixture-prod";
  input.kind = "production";
  input.hosts = input.hosts.map((h, i) => ({
    ...h,
    ssh: { user: "ebillops", port: 22, hostKey: TEST_HOST_KEYS[i % TEST_HOST_KEYS.length]! },
  }));
  const db = input.hosts.find((h) => h.roles.includes("db"))!;
  db.address = "127.0.0.1";
  input.maintenance = {
    timezone: "Asia/Shanghai",
    changeWindows: [
      { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start: "22:00", end: "06:00" },
    ],
  } as EnvironmentInput["maintenance"];
  return input;
}
