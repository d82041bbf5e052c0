/**
 * Shared setup of the host tests: namespace hosts on a /24 of their own inside 10.231.0.0/16
 * (never the sandbox's 10.231.0.0/24), a stack derived from the tests' sandbox-shaped fixture
 * (test/fixtures/stacks/sandbox.ts, not the user's stacks/sandbox.ts) pointing at them,
 * and test secrets in the environment. Each test file makes and removes its own hosts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadStack } from "../../src/config/load.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import type { Environment } from "../../src/model/environment.ts";
import { isManaged } from "../../src/inventory/render.ts";
import {
  cannotMakeHosts,
  hostsDown,
  hostsUp,
  type HostsState,
  sweepStaleHosts,
} from "../../src/sandbox/netns.ts";
import { testHostFamily } from "../../src/sandbox/netns-redhat.ts";
import { failIfCannotRun, skipOutsideCi } from "../harness/can-run.ts";

export const TEST_SECRETS = {
  FISCAL_APP_KEY: "test-fiscal-key-7f3a91c2",
  EBILL_DB_PASSWORD: "test-db-password-5d2e8b",
};

/** Why these tests cannot run here, if they cannot; outside CI they skip with it, in CI they fail. */
const CANNOT_MAKE_HOSTS = cannotMakeHosts();
export const SKIP_REASON = skipOutsideCi("test/hosts", CANNOT_MAKE_HOSTS) ? CANNOT_MAKE_HOSTS : undefined;

/** A /24 per test process (pid) and file, so concurrent runs on one machine do not collide. */
export function testSubnet(offset: number): string {
  return `10.231.${100 + ((process.pid * 3 + offset) % 150)}`;
}

export async function sandboxEnv(): Promise<Environment> {
  const result = await loadStack(FIXTURE_STACK);
  if (!result.ok) throw new Error(`${FIXTURE_STACK} does not validate: ${JSON.stringify(result.issues)}`);
  return structuredClone(result.env);
}

export interface TestHostsContext {
  state: HostsState;
  env: Environment;
  dir: string;
  cleanup(): void;
}

/**
 * Hosts for `env` (its managed hosts readdressed into `subnet`), the state file exported as
 * EBILL_OPS_HOSTS_STATE and the test secrets set, so hostsSource and the CLI reach them.
 */
export async function startTestHosts(
  env: Environment,
  subnet: string,
  tag: string,
): Promise<TestHostsContext> {
  failIfCannotRun("test/hosts", CANNOT_MAKE_HOSTS);
  for (const stale of sweepStaleHosts()) console.log(`removed test hosts left by a killed run: ${stale}`);
  const dir = mkdtempSync(path.join(tmpdir(), "ebill-hosts-test-"));
  env.hosts = env.hosts.map((h, i) => ({ ...h, address: `${subnet}.${11 + i}` }));
  const saved = { ...process.env };
  Object.assign(process.env, TEST_SECRETS, { EBILL_OPS_HOSTS_STATE: path.join(dir, "state.json") });
  const cleanup = () => {
    try {
      hostsDown(dir);
    } finally {
      for (const key of [...Object.keys(TEST_SECRETS), "EBILL_OPS_HOSTS_STATE"])
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const state = await hostsUp({
      stateDir: dir,
      tag,
      hosts: env.hosts.filter(isManaged).map((h) => ({
        name: h.name,
        address: h.address,
        family: testHostFamily(h.os),
      })),
      signatureServers: [{ host: env.interfaces.signature.host, port: env.interfaces.signature.port }],
      log: (line) => console.log(line),
    });
    return { state, env, dir, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** Writes the environment as a JSON stack file the CLI can take with --stack. */
export function writeStackFile(dir: string, env: Environment): string {
  const file = path.join(dir, `${env.name}.json`);
  writeFileSync(file, JSON.stringify(env, null, 2));
  return file;
}
