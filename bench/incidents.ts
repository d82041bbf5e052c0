/**
 * What diagnosis and reconciliation cost (issue 16), on a real sandbox database:
 * - `diagnose issuing` and `diagnose archiving` over 200,000 interface-log rows of the window
 *   (10 % of them failures of six causes) and 20,000 failed deliveries; target < 2 s;
 * - `reconcile` of a day of 20,000 bills against a HIS ledger of 20,000 businesses, with seeded
 *   differences; target < 2 s, in a constant number of queries (counted here, at 5,000 and 20,000).
 * Median of 5 runs each. `npm run bench:incidents`; docs/incidents.md has the figures.
 */
import { loadavg } from "node:os";
import type pg from "pg";
import { diagnose } from "../src/incidents/diagnose.ts";
import { sandboxLedger } from "../src/incidents/his-ledger.ts";
import { differences, reconcile } from "../src/incidents/reconcile.ts";
import { ledgerDdl } from "../src/simulator/ledger.ts";
import { FIXTURE_TODAY } from "../test/harness/fixture-stacks.ts";
import { startSandboxDatabase } from "../test/harness/postgres.ts";

process.env.EBILL_OPS_TODAY = FIXTURE_TODAY;
const DAY = "2026-06-15";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const note = (what: string, value: string) => console.log(`${what.padEnd(70)} ${value}`);

/** The client, counting the statements sent through it. */
function counting(client: pg.Client): { db: pg.Client; sent: () => number } {
  let n = 0;
  const db = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "query")
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { db, sent: () => n };
}

async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await f();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

note(
  "load average at start (2 shared cores)",
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" "),
);
const sandbox = await startSandboxDatabase();
const client = await sandbox.client();
try {
  const ctx = { env: sandbox.env, stackFile: "stacks/sandbox.ts", stack: "sandbox" };
  // 200,000 calls in the window (08:00-12:00 of the day), every tenth a failure of one of six causes.
  await client.query(`
    INSERT INTO ebill.interface_log (at, direction, system, method, result, message, ms, bus_no, place_code, detail)
    SELECT '${DAY} 08:00'::timestamp + (i * interval '70 milliseconds'), 'in', 'his', 'invoiceEBillOutpatient',
           CASE WHEN i % 10 <> 0 THEN 'S0000' ELSE (ARRAY['E1002','E1001','E2001','E3001','E0003','E1002'])[1 + (i / 10) % 6] END,
           NULL, 20, 'B' || i, 'MZ01',
           CASE WHEN i % 10 = 0 THEN jsonb_build_object('value', (ARRAY['ZFB','MZ09','001','x','y','QQ'])[1 + (i / 10) % 6]) END
      FROM generate_series(1, 200000) AS i`);
  await client.query(`
    INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at, bus_no)
    SELECT '46060126', lpad((1000000 + i)::text, 10, '0'), 'abcdef', '001', '05', 10 + (i % 500),
           '${DAY} 08:00'::timestamp + (i * interval '700 milliseconds'), 'B' || i
      FROM generate_series(1, 20000) AS i`);
  await client.query(`
    INSERT INTO ebill.bill_delivery (bill_code, bill_no, issued_at, archive_state, archive_error)
    SELECT bill_code, bill_no, issued_at, 'failed', CASE WHEN bill_no::bigint % 2 = 0 THEN 'E4001' ELSE 'E4002' END
      FROM ebill.bill WHERE bus_no LIKE 'B%'`);
  await client.query("ANALYZE");
  for (const incident of ["issuing", "archiving"] as const) {
    const c = counting(client);
    let causes = 0;
    const ms = await timed(5, async () => {
      causes = (await diagnose(c.db, incident, ctx, { since: `${DAY} 07:00` })).causes.length;
    });
    note(
      `diagnose ${incident}: 200,000 log rows, 20,000 bills (target < 2000 ms)`,
      `${ms.toFixed(0)} ms, ${causes} causes, ${c.sent() / 5} queries`,
    );
  }

  // Reconcile: the HIS ledger holds every bill's business, 20 of them changed, 10 missing bills.
  await client.query(ledgerDdl());
  const ledger = async (n: number) => {
    await client.query("TRUNCATE his_sandbox.ledger");
    await client.query(`
      INSERT INTO his_sandbox.ledger (bus_no, bus_date, place_code, channel_code, amount, kind, recorded_at)
      SELECT 'B' || i, '${DAY}'::date, 'MZ01', 'WX', CASE WHEN i % 1000 = 7 THEN 1 ELSE 10 + (i % 500) END, 'charge', now()
        FROM generate_series(1, ${n}) AS i
      UNION ALL SELECT 'M' || i, '${DAY}'::date, 'MZ01', 'WX', 5, 'charge', now() FROM generate_series(1, 10) AS i`);
  };
  await client.query(`
    INSERT INTO ebill.code_mapping (system, kind, local_code, remote_code)
    VALUES ('his', 'place', '001', 'MZ01'), ('his', 'channel', '05', 'WX') ON CONFLICT DO NOTHING`);
  for (const n of [20000, 5000]) {
    await client.query("DELETE FROM ebill.bill WHERE bus_no LIKE 'B%' AND substr(bus_no, 2)::int > $1", [n]);
    await ledger(n);
    const c = counting(client);
    let found = 0;
    const ms = await timed(5, async () => {
      found = differences(await reconcile(c.db, sandbox.env, sandboxLedger(c.db), DAY));
    });
    note(
      `reconcile of a day of ${n.toLocaleString("en")} bills (target < 2000 ms at 20,000)`,
      `${ms.toFixed(0)} ms, ${found} differences, ${c.sent() / 5} queries`,
    );
  }
} finally {
  await client.end();
  await sandbox.stop();
}
