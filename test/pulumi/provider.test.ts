/**
 * The dynamic provider against a real PostgreSQL with the sandbox seed (test/harness/postgres.ts):
 * its create / read / update / delete / diff, called as Pulumi's provider process calls them, do
 * what the runner does to the same rows. And the provider survives what Pulumi does to it first:
 * `runtime.serializeFunction`, then evaluation in a plain Node process (no tsx, no vitest).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectInputs } from "../../src/pulumi/objects.ts";
import { CODE_LOCATION, databaseObjectProvider } from "../../src/pulumi/provider.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { productionInput } from "../config/fixtures.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { runSync } from "../../src/base/exec.ts";

let db: SandboxDatabase;
let sql: pg.Client;
const provider = databaseObjectProvider();
const previousPort = process.env.EBILL_SANDBOX_PG_PORT;

beforeAll(async () => {
  db = await startSandboxDatabase();
  // The provider loads the stack itself (as under Pulumi; here the test fixture); its declared default port follows
  // EBILL_SANDBOX_PG_PORT, so this points it at the test server. The password comes from
  // EBILL_DB_PASSWORD, which the harness set.
  process.env.EBILL_SANDBOX_PG_PORT = String(db.server.port);
  sql = await db.client();
});
afterAll(async () => {
  if (previousPort === undefined) delete process.env.EBILL_SANDBOX_PG_PORT;
  else process.env.EBILL_SANDBOX_PG_PORT = previousPort;
  await sql?.end();
  await db?.stop();
});

const unionPay: ObjectInputs = {
  stack: FIXTURE_STACK,
  kind: "paymentChannels",
  objectId: "09",
  fields: { code: "09", name: "银联", kind: "bank-card", enabled: true },
};

async function channelRow(code: string) {
  const { rows } = await sql.query<{ name: string; enabled: boolean }>(
    "SELECT name, enabled FROM ebill.payment_channel WHERE code = $1",
    [code],
  );
  return rows[0];
}

describe("the dynamic provider on a real database", () => {
  it("create writes the declared row, and read returns what was declared", async () => {
    const created = await provider.create(unionPay);
    expect(created.id).toBe("paymentChannels/09");
    expect(created.outs).toEqual({ ...unionPay, usage: { bills: false } });
    expect(await channelRow("09")).toEqual({ name: "银联", enabled: true });

    const read = await provider.read!(created.id, created.outs);
    expect(read.id).toBe("paymentChannels/09");
    expect(read.props.fields).toEqual(unionPay.fields);

    // Audited as `ebill-ops apply` audits.
    const { rows } = await sql.query<{
      result: string;
      changes: { kind: string; id: string; action: string }[];
    }>(
      `SELECT a.result, l.changes FROM ebill_ops.apply_audit a JOIN ebill_ops.change_list l ON l.id = a.change_list_id
        WHERE a.stack = 'sandbox' ORDER BY a.id DESC LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({
      result: "ok",
      changes: [{ kind: "paymentChannels", id: "09", action: "create" }],
    });
  });

  it("a hand edit shows in read and in diff; update puts the declared row back", async () => {
    await sql.query("UPDATE ebill.payment_channel SET name = '手改' WHERE code = '09'");
    const read = await provider.read!("paymentChannels/09", { ...unionPay, usage: {} });
    expect(read.props.fields).toMatchObject({ name: "手改" });

    expect(await provider.diff!("paymentChannels/09", read.props, unionPay)).toEqual({ changes: true });
    const updated = await provider.update!("paymentChannels/09", read.props, unionPay);
    expect(updated.outs.fields).toEqual(unionPay.fields);
    expect(await channelRow("09")).toEqual({ name: "银联", enabled: true });
    expect(await provider.diff!("paymentChannels/09", updated.outs, unionPay)).toEqual({ changes: false });
  });

  it("create adopts a row that already exists (a hospital's first pulumi up), as the runner updates it", async () => {
    const cash = (await provider.read!("paymentChannels/02", { ...unionPay, objectId: "02" })).props;
    const renamed = { ...unionPay, objectId: "02", fields: { ...cash.fields, name: "现金（窗口）" } };
    const created = await provider.create(renamed);
    expect(created.outs.fields).toEqual(renamed.fields);
    expect((await channelRow("02"))!.name).toBe("现金（窗口）");
  });

  it("delete of an unused row deletes it, and read then says it is gone", async () => {
    await provider.delete!("paymentChannels/09", { ...unionPay, usage: { bills: false } });
    expect(await channelRow("09")).toBeUndefined();
    expect(await provider.read!("paymentChannels/09", { ...unionPay, usage: {} })).toEqual({});
  });

  it("delete of a row issued bills use disables it instead", async () => {
    const { rows } = await sql.query<{ code: string }>(
      "SELECT DISTINCT channel_code AS code FROM ebill.bill ORDER BY 1 LIMIT 1",
    );
    const code = rows[0]!.code;
    const state = (await provider.read!(`paymentChannels/${code}`, { ...unionPay, objectId: code })).props;
    expect(state.usage).toEqual({ bills: true });

    await provider.delete!(`paymentChannels/${code}`, state);
    expect(await channelRow(code)).toMatchObject({ enabled: false });
    const after = await provider.read!(`paymentChannels/${code}`, state);
    expect(after.props.fields).toMatchObject({ enabled: false });
  });

  it("a production stack is not written outside its change windows unless EBILL_OPS_EMERGENCY says why", async () => {
    // The tests' production-shaped fixture (changes 22:00-06:00), its database on 127.0.0.1.
    // Wednesday 10:00 in Hainan: clinic hours. Refused before connecting.
    const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-prod-fixture-"));
    const file = path.join(dir, "fixture-prod.json");
    await writeFile(file, JSON.stringify(productionInput()));
    const previous = process.env.EBILL_OPS_TODAY;
    process.env.EBILL_OPS_TODAY = "2026-11-25T10:00:00+08:00";
    try {
      await expect(provider.create({ ...unionPay, stack: file })).rejects.toThrow(
        /outside the change windows of stack fixture-prod.*set EBILL_OPS_EMERGENCY="<reason>"/,
      );
    } finally {
      if (previous === undefined) delete process.env.EBILL_OPS_TODAY;
      else process.env.EBILL_OPS_TODAY = previous;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a partition holding bills is never dropped, whatever Pulumi asks", async () => {
    const id = "partitions/bill_2026";
    const state = (
      await provider.read!(id, {
        stack: FIXTURE_STACK,
        kind: "partitions",
        objectId: "bill_2026",
        fields: {},
      })
    ).props;
    expect(state.usage).toEqual({ holdsData: true });
    await expect(provider.delete!(id, state)).rejects.toThrow(/bill_2026 holds bills.*never dropped/);
    const { rows } = await sql.query("SELECT to_regclass('ebill.bill_2026') IS NOT NULL AS ok");
    expect(rows[0].ok).toBe(true);
  });

  it("a tablespace that moves is a replace, deleted first (same name); other field changes update", async () => {
    const olds = {
      stack: FIXTURE_STACK,
      kind: "tablespaces",
      objectId: "ebill_2026",
      fields: { name: "ebill_2026", year: 2026, location: "/a" },
      usage: {},
    };
    const moved = { ...olds, fields: { ...olds.fields, location: "/b" } };
    expect(await provider.diff!("tablespaces/ebill_2026", olds, moved)).toEqual({
      changes: true,
      replaces: ["fields"],
      deleteBeforeReplace: true,
    });
    const relabelled = { ...olds, fields: { ...olds.fields, year: 2027 } };
    expect(await provider.diff!("tablespaces/ebill_2026", olds, relabelled)).toEqual({ changes: true });
  });
});

/** Serialises a provider and runs its `read` as Pulumi's dynamic provider host does, in plain Node. */
async function readInPlainNode(
  shipped: pulumi.dynamic.ResourceProvider,
  id: string,
  props: Record<string, unknown>,
): Promise<{ text: string; stdout: string; stderr: string; status: number | null }> {
  const serialized = await pulumi.runtime.serializeFunction(() => shipped, { allowSecrets: true });
  expect(serialized.containsSecrets).toBe(false);
  const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-pulumi-provider-"));
  try {
    const file = path.join(dir, "provider.cjs");
    await writeFile(file, serialized.text);
    // What Pulumi's dynamic provider host does: require-from-string, then handler().
    const host = `
      const load = require("require-from-string");
      const provider = load(require("fs").readFileSync(${JSON.stringify(file)}, "utf8")).handler();
      provider.read(${JSON.stringify(id)}, ${JSON.stringify(props)})
        .then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // plain Node: nothing of vitest or tsx preloaded
    const child = runSync(process.execPath, ["-e", host], { cwd: REPO_ROOT, env });
    return { text: serialized.text, stdout: child.stdout, stderr: child.stderr, status: child.code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the provider as Pulumi ships it", () => {
  const point = { stack: FIXTURE_STACK, kind: "invoicingPoints", objectId: "001", fields: {} };

  async function pointName(): Promise<string> {
    const { rows } = await sql.query<{ name: string }>(
      "SELECT name FROM ebill.invoicing_point WHERE code = '001'",
    );
    return rows[0]!.name;
  }

  it("serialises, and the serialised text reads the live row in a plain Node process", async () => {
    const run = await readInPlainNode(provider, "invoicingPoints/001", point);
    expect(run.text).not.toContain(process.env.EBILL_DB_PASSWORD!);
    // Only strings are captured: no module of the tool is serialised into Pulumi's state.
    expect(run.text.length).toBeLessThan(10_000);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const read = JSON.parse(run.stdout) as { id: string; props: { fields: Record<string, unknown> } };
    expect(read.id).toBe("invoicingPoints/001");
    expect(read.props.fields).toMatchObject({ code: "001", name: await pointName() });
  });

  it("a provider serialised in another checkout (its path gone) still reads, from the project root", async () => {
    const elsewhere = databaseObjectProvider({ ...CODE_LOCATION, root: "/nonexistent/ci-runner/checkout" });
    const run = await readInPlainNode(elsewhere, "invoicingPoints/001", point);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ props: { fields: { name: await pointName() } } });
  });
});
