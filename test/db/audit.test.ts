import { afterAll, beforeAll, expect, it } from "vitest";
import { listAudit, writeAudit } from "../../src/db/audit.ts";
import type { AuditRecord } from "../../src/plan/planner.ts";
import { startPostgres, loadSandboxEnv, type PgServer } from "../harness/postgres.ts";
import type { Environment } from "../../src/model/environment.ts";

let server: PgServer;
let env: Environment;
beforeAll(async () => {
  // A bare database: the audit creates the tool's schema itself (a hospital's first apply).
  server = await startPostgres();
  env = await loadSandboxEnv(server.port);
});
afterAll(() => server?.stop());

it("keeps every apply, failed ones with their error and emergency reason, newest first", async () => {
  expect(await listAudit(env)).toEqual([]);
  const change = {
    kind: "roles",
    id: "r'1",
    action: "create",
    destructive: false,
    before: null,
    after: { code: "r'1" },
  } as const;
  const ok: AuditRecord = {
    stack: "sandbox",
    commit: "a".repeat(40),
    actor: "张工",
    at: "2026-11-26T01:00:00.000Z",
    planHash: "p1",
    changes: [change],
    result: "ok",
  };
  const failed: AuditRecord = {
    ...ok,
    commit: null,
    at: "2026-11-26T02:00:00.000Z",
    planHash: "p2",
    result: "failed",
    error: "the live state changed since the plan was made; make a new plan",
    emergency: "窗口外紧急修复 $$;'--",
  };
  await writeAudit(env, ok);
  await writeAudit(env, failed);
  await writeAudit(env, { ...ok, stack: "other" });
  expect(await listAudit(env, 10)).toEqual([failed, ok]);
  expect(await listAudit(env, 1)).toEqual([failed]);
});
