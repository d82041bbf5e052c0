/**
 * What stops or loses something in use is marked destructive in the plan, with why and how many
 * bills, and needs --allow-destroy:
 * - disabling (enabled: false in the stack) a point, channel or bill type that issued bills;
 * - removing a print template whose code issued bills, or anything of the fiscal year in operation;
 * - the mappings of a channel in use, removed with it;
 * - re-enabling a row a person disabled in the product (an operator locked on purpose), unless
 *   ebill-ops itself disabled it (then enabling it again is the reviewed change taking it back).
 */
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { Change } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { seededFacts, type SeededFacts } from "./facts.ts";

let db: SandboxDatabase;
let sql: pg.Client;
let facts: SeededFacts;

beforeEach(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
  const plan = await databaseSource.plan(db.env);
  await databaseSource.apply(db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  facts = await seededFacts(sql, db.env);
});
afterEach(async () => {
  await sql?.end();
  await db?.stop();
});

const edit = (change: (e: Environment) => void): Environment => {
  const copy = structuredClone(db.env);
  change(copy);
  return copy;
};
const find = (changes: Change[], kind: string, id: string) =>
  changes.find((c) => c.kind === kind && c.id === id);

async function refusedThenAllowed(env: Environment, message: RegExp): Promise<void> {
  const plan = await databaseSource.plan(env);
  await expect(
    databaseSource.apply(env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
  ).rejects.toThrow(message);
  await databaseSource.apply(env, plan.changes, { allowDestroy: true, expectedLiveHash: plan.liveHash });
  expect((await databaseSource.plan(env)).changes).toEqual([]);
}

describe("destructive marks", () => {
  it("a declared enabled: false on a point, channel and bill type that issued bills", async () => {
    const env = edit((e) => {
      e.invoicingPoints!.find((p) => p.code === facts.point.code)!.enabled = false;
      e.paymentChannels!.find((c) => c.code === facts.channel.code)!.enabled = false;
      e.billTypes!.find((t) => t.code === facts.billType.code)!.enabled = false;
    });
    const plan = await databaseSource.plan(env);
    for (const [kind, code, bills] of [
      ["invoicingPoints", facts.point.code, facts.point.bills],
      ["paymentChannels", facts.channel.code, facts.channel.bills],
      ["billTypes", facts.billType.code, facts.billType.bills],
    ] as const)
      expect(find(plan.changes, kind, code)).toMatchObject({
        action: "update",
        destructive: true,
        bills,
        note: expect.stringMatching(/^disables it: issued bills use it/),
      });
    await refusedThenAllowed(env, /need --allow-destroy[^]*disables it: issued bills use it/);
  });

  it("deleting a print template whose code issued bills", async () => {
    const env = edit((e) => {
      e.printTemplates = e.printTemplates!.filter((t) => t.billCode !== facts.billType.code);
    });
    const plan = await databaseSource.plan(env);
    expect(find(plan.changes, "printTemplates", facts.billType.code)).toMatchObject({
      action: "delete",
      destructive: true,
      bills: facts.billType.bills,
      note: expect.stringContaining("bills of its code were issued (a reprint needs the template)"),
    });
    await refusedThenAllowed(
      env,
      /need --allow-destroy[^]*delete printTemplates \d{8} \(removes it: bills of its code/,
    );
  });

  it("removing an unused bill type and template of the fiscal year in operation", async () => {
    const year = db.env.hospital.fiscalYear;
    const code = `${facts.billType.code.slice(0, 4)}99${String(year).slice(2)}`;
    const withSpare = edit((e) => {
      e.billTypes!.push({ code, name: "备用票据", kind: "general", year, enabled: true, example: false });
      e.printTemplates!.push({ billCode: code, name: "备用模板", version: "1", paper: "A5" });
    });
    const added = await databaseSource.plan(withSpare);
    await databaseSource.apply(withSpare, added.changes, {
      allowDestroy: false,
      expectedLiveHash: added.liveHash,
    });
    const plan = await databaseSource.plan(db.env);
    for (const kind of ["billTypes", "printTemplates"])
      expect(find(plan.changes, kind, code)).toMatchObject({
        action: "delete",
        destructive: true,
        note: `removes it: it belongs to fiscal year ${year}, the year in operation`,
      });
    await refusedThenAllowed(db.env, new RegExp(`it belongs to fiscal year ${year}`));
  });

  it("disabling a channel in use shows and marks the mappings removed with it, with their bills", async () => {
    const env = edit((e) => {
      e.paymentChannels!.find((c) => c.code === facts.channel.code)!.enabled = false;
      e.codeMappings = e.codeMappings!.filter(
        (m) => !(m.kind === "channel" && m.local === facts.channel.code),
      );
    });
    const plan = await databaseSource.plan(env);
    const mappings = plan.changes.filter((c) => c.kind === "codeMappings");
    expect(mappings.length).toBeGreaterThan(0);
    for (const m of mappings)
      expect(m).toMatchObject({
        action: "delete",
        destructive: true,
        bills: facts.channel.bills,
        note: `removes it: issued bills of channel ${facts.channel.code} need it`,
      });
  });

  it("re-enabling a row disabled by hand in the product needs --allow-destroy", async () => {
    await sql.query("UPDATE ebill.payment_channel SET enabled = false WHERE code = $1", [facts.channel.code]);
    await sql.query("UPDATE ebill.operator SET enabled = false WHERE account = 'admin'");
    const plan = await databaseSource.plan(db.env);
    const note = "re-enables it although it was disabled outside ebill-ops (by hand in the product)";
    expect(find(plan.changes, "paymentChannels", facts.channel.code)).toMatchObject({
      after: { enabled: true },
      destructive: true,
      note,
    });
    expect(find(plan.changes, "operators", "admin")).toMatchObject({
      after: { enabled: true },
      destructive: true,
      note,
    });
    await refusedThenAllowed(
      db.env,
      /need --allow-destroy[^]*re-enables it although it was disabled outside ebill-ops/,
    );
  });

  it("re-enabling what ebill-ops disabled by a reviewed change is an ordinary update", async () => {
    const disabled = edit((e) => {
      e.paymentChannels!.find((c) => c.code === facts.channel.code)!.enabled = false;
    });
    const off = await databaseSource.plan(disabled);
    await databaseSource.apply(disabled, off.changes, { allowDestroy: true, expectedLiveHash: off.liveHash });
    const on = await databaseSource.plan(db.env);
    expect(on.changes).toEqual([
      expect.objectContaining({ kind: "paymentChannels", id: facts.channel.code, destructive: false }),
    ]);
    await databaseSource.apply(db.env, on.changes, { allowDestroy: false, expectedLiveHash: on.liveHash });
    expect((await databaseSource.plan(db.env)).changes).toEqual([]);
  });
});
