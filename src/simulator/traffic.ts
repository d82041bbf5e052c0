/**
 * `sandbox traffic`: a day of a HIS against the simulated service, over the real protocol. Each
 * business is charged in the HIS's ledger first (the patient paid, whatever the e-bill service
 * says), then issued; every 25th issued bill is refunded (a ledger refund and a red-flush), and
 * the cashier PC's print component prints every 10th outpatient bill with its template. Faults
 * are switched on for the run (and off after it unless kept), so each one leaves the traces an
 * engineer would find.
 *
 * Deterministic in shape: business i goes to the inpatient point when i % 5 == 4, else an
 * outpatient point (the kiosk when i % 4 == 1); channels rotate; the amount is
 * 5.00 + (i * 7919 mod 49000) / 100 yuan. Under unmapped-channel, business i with i % 10 == 9
 * sends 'ZFB'.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { T, qualified, schemaOf } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import type { Environment } from "../model/environment.ts";
import { callService, type ServiceAddress } from "../protocol/client.ts";
import { SUCCESS } from "../protocol/envelope.ts";
import { localTimestamp, serviceNow } from "./clock.ts";
import { readFaults, SERVICE_FAULTS, stockFaultPlace, writeFaults, type Fault } from "./faults.ts";
import { ledgerDdl, recordLedger, type LedgerRow } from "./ledger.ts";
import { exhaustStock, restoreStock } from "./stock.ts";

export interface TrafficOptions {
  env: Environment;
  service: ServiceAddress;
  db: pg.ClientBase;
  faultsFile: string;
  bills: number;
  faults: readonly Fault[];
  /** Leave the service-side faults switched on after the run. */
  keepFaults?: boolean;
  say?: (line: string) => void;
}

export interface TrafficSummary {
  /** The business numbers of this run start with it. */
  run: string;
  businesses: number;
  issued: number;
  /** Failed issues by result code. */
  failed: Record<string, number>;
  refunds: number;
  printed: number;
  printFailed: number;
  faults: Fault[];
  /** Whether every bill's archiving and push finished (done or failed) before the run ended. */
  settled: boolean;
}

interface HisPlace {
  code: string;
  kinds: Set<string>;
}

/** The HIS's own place codes (its side of 接口对照) with the bill kinds each point issues. */
function hisPlaces(env: Environment): HisPlace[] {
  const year = env.hospital.fiscalYear;
  const kindOf = new Map((env.billTypes ?? []).filter((t) => t.year === year).map((t) => [t.code, t.kind]));
  return (env.codeMappings ?? [])
    .filter((m) => m.system === "his" && m.kind === "place")
    .map((m) => {
      const point = (env.invoicingPoints ?? []).find((p) => p.code === m.local);
      const codes = point?.billCodes ?? [];
      return { code: m.remote, kinds: new Set(codes.map((c) => kindOf.get(c) ?? "")) };
    });
}

const hisChannels = (env: Environment) =>
  (env.codeMappings ?? []).filter((m) => m.system === "his" && m.kind === "channel").map((m) => m.remote);

const yuan = (i: number) => (5 + ((i * 7919) % 49000) / 100).toFixed(2);

/** Switches the service-side faults on; returns those that were not on before. */
export async function switchOnFaults(
  o: Pick<TrafficOptions, "db" | "faults" | "faultsFile">,
  schema: string,
): Promise<Fault[]> {
  const before = await readFaults(o.faultsFile);
  const service = o.faults.filter(
    (f) => (SERVICE_FAULTS as readonly string[]).includes(f) || stockFaultPlace(f) !== null,
  );
  for (const f of service) {
    const place = stockFaultPlace(f);
    if (place) await exhaustStock(o.db, schema, place);
  }
  await writeFaults(o.faultsFile, [...before, ...service]);
  return service.filter((f) => !before.includes(f));
}

/** Switches faults off (all when `which` is absent); a stock fault's cursors are made again from the bills. */
export async function clearFaults(
  db: pg.ClientBase,
  env: Environment,
  faultsFile: string,
  which?: readonly Fault[],
): Promise<Fault[]> {
  const now = await readFaults(faultsFile);
  const off = which ? now.filter((f) => which.includes(f)) : now;
  await writeFaults(
    faultsFile,
    now.filter((f) => !off.includes(f)),
  );
  for (const f of off) {
    const place = stockFaultPlace(f);
    if (place) await restoreStock(db, schemaOf(env), place);
  }
  return off;
}

/** Waits until no bill of the run is still pending archiving or push (at most `ms`). */
async function settle(db: pg.ClientBase, schema: string, run: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${qualified(schema, S.billDelivery)} d
         JOIN ${qualified(schema, T.bill)} b ON b.bill_code = d.bill_code AND b.bill_no = d.bill_no
        WHERE b.bus_no LIKE $1 AND (d.archive_state = 'pending' OR d.push_state = 'pending')`,
      [`${run}%`],
    );
    if (rows[0]!.n === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What one run knows while it plays: its codes, its business-number prefix, its tallies. */
interface Play {
  o: TrafficOptions;
  timeZone: string;
  run: string;
  outpatient: string[];
  inpatient: string[];
  channels: string[];
  summary: TrafficSummary;
}

const countFailure = (summary: TrafficSummary, code: string) =>
  (summary.failed[code] = (summary.failed[code] ?? 0) + 1);

/** Last year's bill code of the same region and type: what an old print template is made for. */
const lastYearsCode = (code: string) =>
  `${code.slice(0, 6)}${String(Number(code.slice(6)) - 1).padStart(2, "0")}`;

/** Business i: charged in the ledger, issued, perhaps refunded and printed. */
async function playBusiness(p: Play, i: number): Promise<void> {
  const { o, run, summary } = p;
  const kind = i % 5 === 4 && p.inpatient.length > 0 ? "inpatient" : "outpatient";
  const place =
    kind === "inpatient"
      ? p.inpatient[i % p.inpatient.length]!
      : p.outpatient[(i % 4 === 1 ? 1 : 0) % p.outpatient.length]!;
  const channel =
    o.faults.includes("unmapped-channel") && i % 10 === 9 ? "ZFB" : p.channels[i % p.channels.length]!;
  const busNo = `${run}${String(i + 1).padStart(6, "0")}`;
  const amount = yuan(i);
  const at = localTimestamp(serviceNow(), p.timeZone);
  const ledger: LedgerRow[] = [
    { busNo, busDate: at.slice(0, 10), place, channel, amount, kind: "charge", at },
  ];
  const answer = await callService(
    o.service,
    kind === "inpatient" ? "invEBillHospitalized" : "invoiceEBillOutpatient",
    {
      busNo,
      busType: kind === "inpatient" ? "01" : "02",
      placeCode: place,
      payer: `患者${i + 1}`,
      busDateTime: at,
      totalAmt: amount,
      payChannelDetail: [{ payChannelCode: channel, payChannelValue: amount }],
      chargeDetail: [{ chargeName: kind === "inpatient" ? "床位费" : "诊察费", amt: amount }],
    },
    "sandbox HIS",
  );
  if (answer.result !== SUCCESS) {
    countFailure(summary, answer.result);
    await recordLedger(o.db, ledger);
    return;
  }
  summary.issued++;
  const bill = answer.message as { billBatchCode: string; billNo: string };
  if (i % 25 === 12) ledger.push(await refund(p, bill, ledger[0]!));
  await recordLedger(o.db, ledger);
  if (kind === "outpatient" && i % 10 === 3) await print(p, bill);
}

/** The HIS refunds a charge: a refund in its ledger and a red-flush of the bill. */
async function refund(
  p: Play,
  bill: { billBatchCode: string; billNo: string },
  charge: LedgerRow,
): Promise<LedgerRow> {
  const at = localTimestamp(serviceNow(), p.timeZone);
  const busNo = `${charge.busNo}R`;
  const red = await callService(
    p.o.service,
    "writeOffEBill",
    { ...bill, reason: "退费", busNo },
    "sandbox HIS",
  );
  if (red.result === SUCCESS) p.summary.refunds++;
  else countFailure(p.summary, red.result);
  return {
    ...charge,
    busNo,
    busDate: at.slice(0, 10),
    amount: `-${charge.amount}`,
    kind: "refund",
    originalBusNo: charge.busNo,
    at,
  };
}

/** The cashier PC's print component prints the bill with its template (last year's under the fault). */
async function print(p: Play, bill: { billBatchCode: string; billNo: string }): Promise<void> {
  const printer = p.o.env.printComponents?.[0];
  if (!printer) return;
  const template = p.o.faults.includes("print-old-template")
    ? lastYearsCode(printer.template)
    : printer.template;
  const printed = await callService(
    p.o.service,
    "printPaperBill",
    { ...bill, templateCode: template, componentVersion: printer.version, clientHost: printer.host },
    "print component",
  );
  if (printed.result === SUCCESS) p.summary.printed++;
  else p.summary.printFailed++;
}

export async function runTraffic(o: TrafficOptions): Promise<TrafficSummary> {
  const schema = schemaOf(o.env);
  const timeZone = o.env.maintenance?.timezone ?? "Asia/Shanghai";
  await o.db.query(ledgerDdl());
  const places = hisPlaces(o.env);
  const channels = hisChannels(o.env);
  const outpatient = places.filter((p) => p.kinds.has("outpatient")).map((p) => p.code);
  if (outpatient.length === 0 || channels.length === 0)
    throw new Error(
      "the stack maps no HIS invoicing point or payment channel (codeMappings with system 'his'): the sandbox HIS has nothing to send",
    );
  const started = localTimestamp(serviceNow(), timeZone);
  const run = `H${started.slice(2, 10).replace(/-/g, "")}${randomBytes(2).toString("hex").toUpperCase()}`;
  const summary: TrafficSummary = {
    run,
    businesses: o.bills,
    issued: 0,
    failed: {},
    refunds: 0,
    printed: 0,
    printFailed: 0,
    faults: [...o.faults],
    settled: false,
  };
  const play: Play = {
    o,
    timeZone,
    run,
    outpatient,
    inpatient: places.filter((p) => p.kinds.has("inpatient")).map((p) => p.code),
    channels,
    summary,
  };
  const added = await switchOnFaults(o, schema);
  try {
    // Four cashiers at once: enough to exercise the stock cursor's locking, gentle on two cores.
    const parallel = 4;
    for (let i = 0; i < o.bills; i += parallel) {
      await Promise.all(
        Array.from({ length: Math.min(parallel, o.bills - i) }, (_, k) => playBusiness(play, i + k)),
      );
      if (o.say && (i + parallel) % 500 < parallel)
        o.say(`${Math.min(i + parallel, o.bills)} / ${o.bills} businesses`);
    }
    summary.settled = await settle(o.db, schema, run, 60_000);
  } finally {
    if (!o.keepFaults) await clearFaults(o.db, o.env, o.faultsFile, added);
  }
  return summary;
}
