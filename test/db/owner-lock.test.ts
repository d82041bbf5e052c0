/**
 * One lock and one owner per database: two stacks pointed at the same database (a copied stack
 * with a new name, a typo in a port) can neither apply at the same time nor both manage it. The
 * lock is the database's, whatever the stack is called; the first stack that applies owns the
 * database, and another one is refused in plan and apply, naming the owner.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connect } from "../../src/db/connect.ts";
import { acquireDatabaseLock } from "../../src/db/lock.ts";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { dumpManaged } from "../plan/helpers.ts";

let db: SandboxDatabase;
let sql: pg.Client;
let other: Environment;

beforeAll(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
  // The same declaration under another name: the copied-stack mistake.
  other = { ...structuredClone(db.env), name: "sandbox-copy" };
  other.paymentChannels![0]!.name = "副本改名";
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

it("a second stack cannot apply while the first holds the database's lock", async () => {
  const holder = await connect(db.env);
  try {
    await acquireDatabaseLock(holder, db.env.name);
    const before = await dumpManaged(sql, db.env);
    const plan = await databaseSource.plan(other);
    const started = Date.now();
    await expect(
      databaseSource.apply(other, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(/another apply of stack sandbox is running on database ebill: the lock is held by/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await dumpManaged(sql, db.env)).toEqual(before);
  } finally {
    await holder.end();
  }
});

it("the first stack to apply owns the database; another is refused in plan and apply, naming the owner", async () => {
  const plan = await databaseSource.plan(db.env);
  await databaseSource.apply(db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  const { rows } = await sql.query("SELECT stack FROM ebill_ops.owner");
  expect(rows).toEqual([{ stack: db.env.name }]);

  const before = await dumpManaged(sql, db.env);
  const owned =
    /database ebill is managed by stack 'sandbox' \(recorded by .+ on \d{4}-.+\), not 'sandbox-copy'.*Nothing was changed/s;
  await expect(databaseSource.plan(other)).rejects.toThrow(owned);
  // Even with a plan in hand (made before the owner was recorded, or forged), apply refuses.
  await expect(
    databaseSource.apply(other, plan.changes, { allowDestroy: true, expectedLiveHash: undefined }),
  ).rejects.toThrow(owned);
  expect(await dumpManaged(sql, db.env)).toEqual(before);

  // The owner itself plans and applies as before.
  expect((await databaseSource.plan(db.env)).changes).toEqual([]);
});
