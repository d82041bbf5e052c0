/**
 * The incidents tests' hospital: a fresh sandbox database (test/harness/postgres.ts) with the
 * declarations the service needs applied through the providers as `apply` would write them
 * (接口对照, print templates: the seed leaves them out), and the protocol simulator on 127.0.0.1
 * in a temporary folder. EBILL_OPS_TODAY is pinned to the fixture's day.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { providerOf } from "../../src/db/providers/index.ts";
import { schemaOf } from "../../src/db/reference-schema.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { Change } from "../../src/plan/types.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { FIXTURE_TODAY } from "../harness/fixture-stacks.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";

export interface IncidentsFixture {
  db: SandboxDatabase;
  env: Environment;
  appKey: string;
  dir: string;
  simulator: Simulator;
  stop(): Promise<void>;
}

async function applyKinds(db: SandboxDatabase, kinds: readonly string[]): Promise<void> {
  const client = await db.client();
  try {
    for (const kind of kinds) {
      const provider = providerOf(kind);
      const changes: Change[] = (provider.declared(db.env) ?? []).map((d) => ({
        kind: provider.kind,
        id: d.id,
        action: "create",
        destructive: false,
        before: null,
        after: d.fields,
      }));
      await provider.write(client, { env: db.env, schema: schemaOf(db.env) }, changes);
    }
  } finally {
    await client.end();
  }
}

export async function startIncidentsFixture(): Promise<IncidentsFixture> {
  process.env.EBILL_OPS_TODAY = FIXTURE_TODAY;
  const db = await startSandboxDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-sim-"));
  try {
    await applyKinds(db, ["codeMappings", "printTemplates"]);
    const appKey = process.env.FISCAL_APP_KEY!;
    const simulator = await startSimulator({ env: db.env, appKey, dir });
    return {
      db,
      env: db.env,
      appKey,
      dir,
      simulator,
      async stop() {
        await simulator.close();
        await db.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
