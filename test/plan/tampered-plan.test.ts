/**
 * A saved plan is evidence of review, not instructions. A genuine `plan --out` file, edited the
 * ways an attacker or a careless hand would, is handed to `apply --plan`: the apply makes the plan
 * again from the stack and the live database, finds it is not the reviewed one, refuses with a
 * message naming the differences, applies nothing and records the refusal. The untouched file
 * goes through.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/types.ts";
import { seededFacts, nextNumber, type SeededFacts } from "../db/facts.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
let stack: string;
let planFile: string;
let genuine: Plan;
let facts: SeededFacts;

const run = (...args: string[]) => cli(args, db.server.env);

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  facts = await seededFacts(client, db.env);
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-tampered-"));
  // The reviewed change: rename a channel, disable the point that issued the most bills.
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env, (e) => {
    e.paymentChannels!.find((c) => c.code === facts.channel.code)!.name = "改名渠道";
  });
  planFile = path.join(dir, "plan.json");
  const made = await run("plan", "--stack", stack, "--out", planFile);
  expect(made.code, made.stderr).toBe(2);
  genuine = JSON.parse(await readFile(planFile, "utf8")) as Plan;
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Edit = (plan: Plan) => void;
const change = (plan: Plan, kind: string) => plan.changes.find((c) => c.kind === kind)!;

const tamperings: { what: string; edit: Edit; says: RegExp; flags?: string[] }[] = [
  {
    what: "one change edited into dropping the bills table (destructive: false)",
    edit: (p) => {
      Object.assign(p.changes[0]!, {
        kind: "partitions",
        id: "bill",
        action: "delete",
        destructive: false,
        before: { table: "bill", year: null, tablespace: "pg_default" },
        after: null,
      });
    },
    says: /in the reviewed plan but not planned now: database: delete partitions bill/,
  },
  {
    what: "an edited after value",
    edit: (p) => {
      change(p, "paymentChannels").after!.name = "攻击者的名字";
    },
    says: /differs from the reviewed plan \(after\): database: update paymentChannels/,
  },
  {
    what: "an edited before value",
    edit: (p) => {
      change(p, "paymentChannels").before!.name = "别的名字";
    },
    says: /differs from the reviewed plan \(before\): database: update paymentChannels/,
  },
  {
    what: "a row the stack never declares",
    edit: (p) => {
      p.changes.push({
        kind: "invoicingPoints",
        id: "999",
        action: "create",
        destructive: false,
        before: null,
        after: { code: "999", name: "后门", enabled: true, billCodes: [] },
        source: "database",
      });
    },
    says: /in the reviewed plan but not planned now: database: create invoicingPoints 999/,
  },
  {
    what: "deleting the point that issued the most bills, marked not destructive",
    edit: (p) => {
      p.changes.push({
        kind: "invoicingPoints",
        id: facts.point.code,
        action: "delete",
        destructive: false,
        before: { code: facts.point.code },
        after: null,
        source: "database",
      });
    },
    says: /in the reviewed plan but not planned now: database: delete invoicingPoints/,
    flags: ["--allow-destroy"],
  },
  {
    what: "cutting a used stock range below its last issued number",
    edit: (p) => {
      p.changes.push({
        kind: "billStock",
        id: facts.range.id,
        action: "update",
        destructive: false,
        before: null,
        after: { last: nextNumber(facts.range.lastUsed, -100) },
        source: "database",
      });
    },
    says: /in the reviewed plan but not planned now: database: update billStock/,
    flags: ["--allow-destroy"],
  },
  {
    what: "a destructive change marked destructive: false",
    edit: (p) => {
      p.changes.push({
        kind: "paymentChannels",
        id: facts.channel.code,
        action: "update",
        destructive: false,
        before: null,
        after: { enabled: false },
        source: "database",
      });
    },
    says: /in the reviewed plan but not planned now|differs from the reviewed plan/,
  },
  {
    what: "another commit recorded",
    edit: (p) => {
      p.revision = { commit: "0".repeat(40), dirty: false };
    },
    says: /the plan was made at commit 0{40}, the stack is now at \(none\)/,
  },
  {
    what: "no commit recorded at all",
    edit: (p) => {
      delete p.revision;
    },
    says: /the plan file records no commit/,
  },
  {
    what: "a live hash edited to match anything",
    edit: (p) => {
      p.liveHash = "f".repeat(64);
    },
    says: /the live state changed since the plan was made/,
  },
  {
    what: "the reviewed change removed (an empty plan applied as if reviewed)",
    edit: (p) => {
      p.changes = [];
    },
    says: /not in the reviewed plan: database: update paymentChannels/,
  },
];

describe("apply --plan with a tampered saved plan", () => {
  const tally = { tried: 0, refused: 0, acceptedWrongly: 0, changedWrongly: 0 };

  it.each(tamperings)("refuses $what, changing nothing", async ({ edit, says, flags }) => {
    tally.tried++;
    const tampered = structuredClone(genuine);
    edit(tampered);
    const file = path.join(dir, "tampered.json");
    await writeFile(file, JSON.stringify(tampered, null, 2));
    const before = await dumpManaged(client, db.env);
    const r = await run("apply", "--stack", stack, "--plan", file, "--yes", ...(flags ?? []));
    if (r.code === 0) tally.acceptedWrongly++;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/is not the reviewed plan .*tampered\.json; nothing was changed/);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).toContain("A saved plan is evidence of what was reviewed, never instructions");
    tally.refused++;
    const after = await dumpManaged(client, db.env);
    if (JSON.stringify(after) !== JSON.stringify(before)) tally.changedWrongly++;
    expect(after).toEqual(before);
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM ebill.bill");
    expect(rows[0]!.n).toBe(facts.bills);
  });

  it("records each refusal in the audit, and counts", async () => {
    const history = JSON.parse(
      (await run("history", "--stack", stack, "--json", "--limit", "50")).stdout,
    ) as {
      result: string;
      error?: string;
    }[];
    expect(history).toHaveLength(tamperings.length);
    expect(history.every((h) => h.result === "failed" && /not the reviewed plan/.test(h.error ?? ""))).toBe(
      true,
    );
    process.stdout.write(`tampered saved plans: ${JSON.stringify(tally)}\n`);
    expect(tally).toEqual({
      tried: tamperings.length,
      refused: tamperings.length,
      acceptedWrongly: 0,
      changedWrongly: 0,
    });
  });

  it("applies the untouched reviewed plan", async () => {
    const r = await run("apply", "--stack", stack, "--plan", planFile, "--yes");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { rows } = await client.query("SELECT name FROM ebill.payment_channel WHERE code = $1", [
      facts.channel.code,
    ]);
    expect(rows).toEqual([{ name: "改名渠道" }]);
  });
});
