/**
 * The write layer's invariants, driven directly with each forbidden operation, as a tampered saved
 * plan, a Pulumi provider or a future task would hand it over: whatever the change says about
 * itself (destructive: false, a harmless id, no note), the write refuses it, names why, and the
 * database stays exactly as it was (the bills table above all).
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/db/connect.ts";
import { applyDatabase, databaseSource, readSnapshot } from "../../src/db/source.ts";
import { createTablespaces, dropTablespaces } from "../../src/db/providers/storage.ts";
import { schemaOf } from "../../src/db/reference-schema.ts";
import type { DatabaseKind, Environment } from "../../src/model/environment.ts";
import type { Change } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { dumpManaged } from "../plan/helpers.ts";
import { nextNumber, seededFacts, type SeededFacts } from "./facts.ts";

let db: SandboxDatabase;
let sql: pg.Client;
let facts: SeededFacts;
let env: Environment;

beforeAll(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
  env = db.env;
  // The declared state first (templates, mappings, roles, operators), so only the tampering differs.
  const plan = await databaseSource.plan(env);
  await databaseSource.apply(env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  facts = await seededFacts(sql, env);
  // A tablespace ebill-ops did not create (a DBA's, another database's): no year comment.
  await createTablespaces(sql, env, [
    { action: "create", id: "dba_space", after: { location: "/var/lib/ebill/dba", year: 2030 } },
  ]);
  await sql.query("COMMENT ON TABLESPACE dba_space IS NULL");
});
afterAll(async () => {
  if (sql) await dropTablespaces(sql, ["dba_space"]);
  await sql?.end();
  await db?.stop();
});

/** The live fields of one object, as the write layer reads them. */
const live = async (kind: DatabaseKind, id: string) => {
  const object = (await readSnapshot(sql, env))[kind].find((o) => o.id === id);
  if (!object) throw new Error(`${kind} ${id} is not live`);
  return object.fields;
};

/** Applies `changes` straight through the write layer, on its own connection. */
async function write(changes: Change[], options: { allowDestroy: boolean }, stack = env): Promise<void> {
  const client = await connect(stack);
  try {
    await applyDatabase(client, stack, changes, options);
  } finally {
    await client.end();
  }
}

const cases: {
  what: string;
  changes: () => Promise<Change[]>;
  allowDestroy: boolean;
  refusal: RegExp;
  stack?: () => Environment;
}[] = [
  {
    what: "a drop of the bills table dressed as a partition delete (destructive: false)",
    changes: async () => [
      {
        kind: "partitions",
        id: "bill",
        action: "delete",
        destructive: false,
        before: { table: "bill", year: null, tablespace: "pg_default" },
        after: null,
      },
    ],
    allowDestroy: false,
    refusal: /partitions bill: the change would write partition bill_null/,
  },
  {
    what: "a drop of the bills table whose before names it consistently",
    changes: async () => [
      {
        kind: "partitions",
        id: "bill_2026x",
        action: "delete",
        destructive: false,
        before: { table: "bill", year: "2026x", tablespace: "pg_default" },
        after: null,
      },
    ],
    allowDestroy: true,
    refusal: /bill_2026x is not a live partition of ebill\.bill or ebill\.bill_detail/,
  },
  {
    what: "a drop of this year's bill partition, holding bills, with --allow-destroy",
    changes: async () => {
      const id = `bill_${env.hospital.fiscalYear}`;
      return [
        {
          kind: "partitions",
          id,
          action: "delete",
          destructive: false,
          before: await live("partitions", id),
          after: null,
        },
      ];
    },
    allowDestroy: true,
    refusal: /partition bill_\d{4} holds bills: a partition holding data is never dropped/,
  },
  {
    what: "a delete that names an unused point but writes the point that issued bills",
    changes: async () => [
      {
        kind: "invoicingPoints",
        id: "999",
        action: "delete",
        destructive: false,
        before: await live("invoicingPoints", facts.point.code),
        after: null,
      },
    ],
    allowDestroy: true,
    refusal:
      /invoicingPoints 999: the change would write invoicing point \S+, not the invoicing point it names/,
  },
  {
    what: "a delete of the point that issued bills, with --allow-destroy",
    changes: async () => [
      {
        kind: "invoicingPoints",
        id: facts.point.code,
        action: "delete",
        destructive: false,
        before: await live("invoicingPoints", facts.point.code),
        after: null,
      },
    ],
    allowDestroy: true,
    refusal: /invoicingPoints \S+ is in use \(issued bills use it.*\): it can only be disabled/,
  },
  {
    what: "disabling the point that issued bills without --allow-destroy (destructive: false)",
    changes: async () => {
      const before = await live("invoicingPoints", facts.point.code);
      return [
        {
          kind: "invoicingPoints",
          id: facts.point.code,
          action: "update",
          destructive: false,
          before,
          after: { ...before, enabled: false },
        },
      ];
    },
    allowDestroy: false,
    refusal: /update invoicingPoints \S+ needs --allow-destroy: disables it: issued bills use it/,
  },
  {
    what: "disabling the channel that issued bills without --allow-destroy",
    changes: async () => {
      const before = await live("paymentChannels", facts.channel.code);
      return [
        {
          kind: "paymentChannels",
          id: facts.channel.code,
          action: "update",
          destructive: false,
          before,
          after: { ...before, enabled: false },
        },
      ];
    },
    allowDestroy: false,
    refusal: /update paymentChannels \S+ needs --allow-destroy: disables it: issued bills use it/,
  },
  {
    what: "disabling the bill type that issued bills without --allow-destroy",
    changes: async () => {
      const before = await live("billTypes", facts.billType.code);
      return [
        {
          kind: "billTypes",
          id: facts.billType.code,
          action: "update",
          destructive: false,
          before,
          after: { ...before, enabled: false },
        },
      ];
    },
    allowDestroy: false,
    refusal:
      /update billTypes \d{8} needs --allow-destroy: disables it: issued bills use it; bill stock of this code remains; it belongs to fiscal year \d{4}/,
  },
  {
    what: "ending a used stock range before its last issued number, with --allow-destroy",
    changes: async () => {
      const before = await live("billStock", facts.range.id);
      return [
        {
          kind: "billStock",
          id: facts.range.id,
          action: "update",
          destructive: false,
          before,
          after: { ...before, last: nextNumber(facts.range.lastUsed, -1) },
        },
      ];
    },
    allowDestroy: true,
    refusal: /billStock \S+: bill number \d{10} of this range was already issued; the range cannot end at/,
  },
  {
    what: "restarting a used stock range under a new first number (the old one left disabled)",
    changes: async () => {
      const before = await live("billStock", facts.range.id);
      const restart = {
        ...before,
        batch: `${String(before.batch)}r`,
        first: nextNumber(facts.range.first, 10),
      };
      return [
        {
          kind: "billStock",
          id: facts.range.id,
          action: "update",
          destructive: true,
          before,
          after: { ...before, enabled: false },
        },
        {
          kind: "billStock",
          id: `${facts.range.billCode}/${String(restart.batch)}/${String(restart.first)}`,
          action: "create",
          destructive: false,
          before: null,
          after: restart,
        },
      ];
    },
    allowDestroy: true,
    refusal:
      /bill numbers \d{10}–\d{10} of bill code \d{8} were already issued \([\d,]+ bills\)[^]*overlaps stock range \S+ \(\d{10}–\d{10}, disabled\)/,
  },
  {
    what: "a delete of the bill type bill stock still uses (no bills of it: a fresh code)",
    changes: async () => {
      const spare = env.billTypes!.find((t) => t.code !== facts.billType.code)!;
      return [
        {
          kind: "billTypes",
          id: spare.code,
          action: "delete",
          destructive: false,
          before: await live("billTypes", spare.code),
          after: null,
        },
      ];
    },
    allowDestroy: true,
    refusal: /billTypes \d{8} is in use \(.*bill stock of this code remains\): it can only be disabled/,
  },
  {
    what: "a tablespace holding this year's partitions, dropped with --allow-destroy",
    changes: async () => {
      const name = env.tablespaces!.find((t) => t.year === env.hospital.fiscalYear)!.name;
      return [
        {
          kind: "tablespaces",
          id: name,
          action: "delete",
          destructive: false,
          before: await live("tablespaces", name),
          after: null,
        },
      ];
    },
    allowDestroy: true,
    refusal:
      /tablespace \S+ holds partition bill_\d{4}, partition bill_detail_\d{4}: a tablespace holding data is never dropped/,
  },
  {
    what: "a tablespace ebill-ops did not create, dropped with --allow-destroy",
    changes: async () => [
      {
        kind: "tablespaces",
        id: "dba_space",
        action: "delete",
        destructive: false,
        before: await live("tablespaces", "dba_space"),
        after: null,
      },
    ],
    allowDestroy: true,
    refusal:
      /tablespace dba_space was not created by ebill-ops .*: a tablespace the stack does not own is never dropped/,
  },
  {
    what: "a write to a kind the stack does not declare",
    stack: () => ({ ...env, roles: undefined, operators: undefined }),
    changes: async () => [
      {
        kind: "roles",
        id: "intruder",
        action: "create",
        destructive: false,
        before: null,
        after: { code: "intruder", name: "x", permissions: ["user.manage"] },
      },
    ],
    allowDestroy: true,
    refusal:
      /roles intruder: the stack does not declare roles, and a kind the stack leaves out is never touched/,
  },
  {
    what: "a change of a kind that is no database kind",
    changes: async () => [
      { kind: "pg_authid", id: "x", action: "delete", destructive: false, before: { x: 1 }, after: null },
    ],
    allowDestroy: true,
    refusal: /'pg_authid' is not a database kind/,
  },
];

it("does not plan away a tablespace it did not create", async () => {
  const plan = await databaseSource.plan(env);
  expect(plan.changes.filter((c) => c.kind === "tablespaces")).toEqual([]);
});

describe("the write layer refuses every forbidden operation, whatever the change says", () => {
  const tally = { tried: 0, refused: 0, acceptedWrongly: 0, changedWrongly: 0 };

  it.each(cases)("$what", async ({ changes, allowDestroy, refusal, stack }) => {
    tally.tried++;
    const before = await dumpManaged(sql, env);
    const batch = await changes();
    const error = await write(batch, { allowDestroy }, stack?.() ?? env).then(
      () => null,
      (e: Error) => e,
    );
    if (error === null) tally.acceptedWrongly++;
    expect(error?.message).toMatch(refusal);
    expect(error?.message).toMatch(/nothing was changed/);
    tally.refused++;
    const after = await dumpManaged(sql, env);
    if (JSON.stringify(after) !== JSON.stringify(before)) tally.changedWrongly++;
    expect(after).toEqual(before);
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${sql.escapeIdentifier(schemaOf(env))}.bill`,
    );
    expect(rows[0]!.n).toBe(facts.bills);
  });

  it("counted: every case tried was refused, none accepted, nothing changed", () => {
    process.stdout.write(`write-layer invariants: ${JSON.stringify(tally)}\n`);
    expect(tally).toEqual({
      tried: cases.length,
      refused: cases.length,
      acceptedWrongly: 0,
      changedWrongly: 0,
    });
  });
});
