/**
 * A production stack is applied only inside its change windows; outside them an emergency reason
 * lets the change through and is kept in the audit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Environment } from "../../src/model/environment.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
let stack: string;
let tablespaceLocation: string;

/** The sandbox declared as production: pinned host keys, the database on a declared db host, windows. */
function asProduction(e: Environment): void {
  e.name = "sandbox";
  e.kind = "production";
  e.hosts = e.hosts.map((h) => ({
    ...h,
    address: h.roles.includes("db") ? "127.0.0.1" : h.address,
    ssh: {
      ...h.ssh,
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    },
  }));
  e.maintenance.changeWindows = [{ days: ["sat"], start: "22:00", end: "06:00" }];
  // The sandbox maps tablespace locations into .sandbox/; production takes the location literally.
  e.tablespaces = e.tablespaces!.map((t) => ({ ...t, location: tablespaceLocation }));
}

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  const { rows } = await client.query<{ location: string }>(
    "SELECT pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = 'ebill_2026'",
  );
  tablespaceLocation = rows[0]!.location;
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-emergency-"));
  stack = await writeStack(path.join(dir, "prod.json"), db.env, asProduction);
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("refuses outside the change window, applies with --emergency and audits the reason", async () => {
  // Monday 10:00 in Asia/Shanghai: clinic hours.
  const monday = { ...db.server.env, EBILL_OPS_TODAY: "2026-06-15T10:00:00+08:00" };
  const before = await dumpManaged(client, db.env);
  const refused = await cli(["apply", "--stack", stack, "--yes"], monday);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    "mon 2026-06-15 10:00 Asia/Shanghai is outside the change windows of stack sandbox (sat 22:00-06:00)",
  );
  expect(refused.stderr).toContain('--emergency "<reason>"');
  expect(await dumpManaged(client, db.env)).toEqual(before);

  const reason = "fiscal platform rejects every bill since 08:00 (工单 4711)";
  const emergency = await cli(["apply", "--stack", stack, "--yes", "--emergency", reason], monday);
  expect(emergency.code, emergency.stdout + emergency.stderr).toBe(0);
  expect(emergency.stdout).toContain(`emergency change: mon 2026-06-15 10:00 Asia/Shanghai is outside`);

  const history = JSON.parse((await cli(["history", "--stack", stack, "--json"], monday)).stdout) as {
    result: string;
    emergency?: string;
  }[];
  expect(history[0]).toMatchObject({ result: "ok", emergency: reason });
  expect(history[1]).toMatchObject({ result: "failed" });

  // Sunday 02:00 is still Saturday night's window: no emergency needed.
  await writeStack(stack, db.env, (e) => {
    asProduction(e);
    e.paymentChannels!.find((c) => c.code === "05")!.name = "微信支付";
  });
  const inWindow = await cli(["apply", "--stack", stack, "--yes"], {
    ...db.server.env,
    EBILL_OPS_TODAY: "2026-06-21T02:00:00+08:00",
  });
  expect(inWindow.code, inWindow.stdout + inWindow.stderr).toBe(0);
});
