/**
 * `diagnose <class>`: what went wrong for one incident class (开票 issuing, 归档 archiving, 打印
 * printing, 推送 push, 库存 stock) in a window, from the product's interface log and each bill's
 * archive/push state. Failures are grouped by cause (result code and offending value); causes are
 * ranked by how many calls or bills they hit, the chain's order breaking ties, so the cause comes
 * first; each carries its evidence (count, first and last time, an example business number, what
 * the service saw) and the fix: the declaration to change or the command to run.
 *
 * Cost: a constant number of queries whatever the window (one grouped query over the log, one over
 * the delivery states, one over the stock), each served by an index on time.
 */
import type pg from "pg";
import { T, qualified, schemaOf } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import type { Environment } from "../model/environment.ts";
import { SUCCESS } from "../protocol/envelope.ts";
import { CHAIN, RESULT, type ChainStep, type ResultCode } from "../protocol/result-codes.ts";
import { causeFix } from "./fixes.ts";

export const INCIDENT_CLASSES = ["issuing", "archiving", "printing", "push", "stock"] as const;
export type IncidentClass = (typeof INCIDENT_CLASSES)[number];

export const CLASS_NAMES: Record<IncidentClass, string> = {
  issuing: "开票 issuing",
  archiving: "归档 archiving",
  printing: "打印 printing",
  push: "推送 push",
  stock: "库存 stock (申领/下发)",
};

export const STEP_NAMES: Record<ChainStep, string> = {
  payload: "HIS 报文 payload",
  mapping: "接口对照 code mapping",
  stock: "开票点库存 stock at the point",
  signature: "签名服务器 signature server",
  fiscal: "财政平台 fiscal platform",
  file: "文件服务器 file server",
  push: "推送 push endpoint",
  print: "打印组件与模板 print component and template",
};

/** The chain steps an incident class walks, in order. */
export const STEPS_OF: Record<IncidentClass, readonly ChainStep[]> = {
  issuing: ["payload", "mapping", "stock", "signature"],
  archiving: ["fiscal", "file"],
  push: ["push"],
  printing: ["print"],
  stock: ["stock"],
};

export interface DiagnoseOptions {
  /** Local time (hospital zone) the window starts at. */
  since: string;
  busNo?: string;
  /** An invoicing point: its local code or the HIS's code for it. */
  place?: string;
}

export interface Cause {
  step: ChainStep;
  code: string;
  zh: string;
  /** Calls (issuing, printing) or bills (archiving, push) it hit. */
  count: number;
  unit: "calls" | "bills";
  first: string;
  last: string;
  example: string | null;
  /** The offending value (a channel code, a point, a template), when there is one. */
  value: string | null;
  /** What the service saw (a dependency's address and error). */
  seen: string | null;
  /** Facts of the failed calls (the expected template, the component's version). */
  detail?: Record<string, unknown>;
  fix: string;
}

export interface StockLevel {
  place: string;
  billCode: string;
  remaining: number;
}

export interface Diagnosis {
  incident: IncidentClass;
  since: string;
  chain: { step: ChainStep; name: string; failures: number }[];
  causes: Cause[];
  stock?: StockLevel[];
}

const codesOf = (steps: readonly ChainStep[]): string[] =>
  Object.values(RESULT as Record<string, ResultCode>)
    .filter((r) => r.step !== null && steps.includes(r.step))
    .map((r) => r.code);

const stepOfCode = (code: string): ChainStep =>
  (Object.values(RESULT as Record<string, ResultCode>).find((r) => r.code === code)?.step ??
    "payload") as ChainStep;
const zhOf = (code: string) =>
  Object.values(RESULT as Record<string, ResultCode>).find((r) => r.code === code)?.zh ?? code;

interface Group {
  code: string;
  value: string | null;
  n: number;
  first: string;
  last: string;
  example: string | null;
  /** What the service saw: the failed dependency call's message, else the answer's. */
  message: string | null;
  /** The failed call's facts (JSON), e.g. the template a print component used. */
  detail?: string | null;
}

/** Failed calls the service received, grouped by code and offending value (one query). */
async function logGroups(
  db: pg.ClientBase,
  env: Environment,
  codes: string[],
  o: DiagnoseOptions,
): Promise<Group[]> {
  const schema = schemaOf(env);
  const { rows } = await db.query<Group>(
    `SELECT g.*, coalesce((SELECT o.message FROM ${qualified(schema, S.interfaceLog)} o
                            WHERE o.at >= $1::timestamp AND o.direction = 'out' AND o.result = g.code
                            ORDER BY o.id DESC LIMIT 1), g.in_message) AS message
       FROM (
     SELECT l.result AS code, l.detail->>'value' AS value, count(*)::int AS n,
            to_char(min(l.at), 'YYYY-MM-DD HH24:MI:SS') AS first, to_char(max(l.at), 'YYYY-MM-DD HH24:MI:SS') AS last,
            min(l.bus_no) AS example, max(l.detail::text) AS detail, max(l.message) AS in_message
       FROM ${qualified(schema, S.interfaceLog)} l
      WHERE l.at >= $1::timestamp AND l.direction = 'in' AND l.result = ANY($2::text[])
        AND ($3::text IS NULL OR l.bus_no = $3)
        AND ($4::text IS NULL OR l.place_code = $4 OR l.place_code IN (
              SELECT remote_code FROM ${qualified(schema, T.codeMapping)} WHERE system = 'his' AND kind = 'place' AND local_code = $4))
      GROUP BY 1, 2) g`,
    [o.since, codes, o.busNo ?? null, o.place ?? null],
  );
  return rows;
}

/** Bills whose archiving or push failed, grouped by error, with what the last failed call saw (one query). */
async function deliveryGroups(
  db: pg.ClientBase,
  env: Environment,
  leg: "archive" | "push",
  o: DiagnoseOptions,
): Promise<Group[]> {
  const schema = schemaOf(env);
  const { rows } = await db.query<Group>(
    `WITH failed AS (
       SELECT d.${leg}_error AS code, d.issued_at, d.bill_code, d.bill_no, b.bus_no
         FROM ${qualified(schema, S.billDelivery)} d
         JOIN ${qualified(schema, T.bill)} b ON b.bill_code = d.bill_code AND b.bill_no = d.bill_no AND b.issued_at = d.issued_at
        WHERE d.issued_at >= $1::timestamp AND d.${leg}_state = 'failed'
          AND ($2::text IS NULL OR b.bus_no = $2)
          AND ($3::text IS NULL OR b.place_code = $3 OR b.place_code IN (
                SELECT local_code FROM ${qualified(schema, T.codeMapping)} WHERE system = 'his' AND kind = 'place' AND remote_code = $3)))
     SELECT f.code, NULL AS value, count(*)::int AS n,
            to_char(min(f.issued_at), 'YYYY-MM-DD HH24:MI:SS') AS first, to_char(max(f.issued_at), 'YYYY-MM-DD HH24:MI:SS') AS last,
            min(f.bus_no) AS example,
            (SELECT l.message FROM ${qualified(schema, S.interfaceLog)} l
              WHERE l.at >= $1::timestamp AND l.direction = 'out' AND l.result = f.code
              ORDER BY l.id DESC LIMIT 1) AS message
       FROM failed f GROUP BY f.code`,
    [o.since, o.busNo ?? null, o.place ?? null],
  );
  return rows;
}

/** Numbers left per point and bill code in the enabled issuing ranges (one query). */
export async function stockLevels(db: pg.ClientBase, env: Environment): Promise<StockLevel[]> {
  const schema = schemaOf(env);
  const bill = qualified(schema, T.bill);
  const { rows } = await db.query<{ place: string; bill_code: string; remaining: string }>(
    `SELECT s.place_code AS place, s.bill_code,
            sum(greatest(s.last_no::bigint - coalesce(c.next_no,
                  (SELECT max(b.bill_no)::bigint + 1 FROM ${bill} b
                    WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no),
                  s.first_no::bigint) + 1, 0))::text AS remaining
       FROM ${qualified(schema, T.billStock)} s
       JOIN ${qualified(schema, T.billType)} t ON t.code = s.bill_code AND t.year = $1
       LEFT JOIN ${qualified(schema, S.stockCursor)} c USING (bill_code, batch, first_no)
      WHERE s.purpose = 'issue' AND s.enabled
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [env.hospital.fiscalYear],
  );
  return rows.map((r) => ({ place: r.place, billCode: r.bill_code, remaining: Number(r.remaining) }));
}

const detailOf = (g: Group): Record<string, unknown> => {
  try {
    const parsed = g.detail ? (JSON.parse(g.detail) as unknown) : null;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

export interface DiagnoseContext {
  env: Environment;
  /** The stack file as shown to the user (fixes name it). */
  stackFile: string;
  /** The stack's name for commands (`--stack S`). */
  stack: string;
}

export async function diagnose(
  db: pg.ClientBase,
  incident: IncidentClass,
  ctx: DiagnoseContext,
  o: DiagnoseOptions,
): Promise<Diagnosis> {
  const steps = STEPS_OF[incident];
  const groups: (Group & { unit: Cause["unit"] })[] = [];
  if (incident === "archiving")
    groups.push(
      ...(await deliveryGroups(db, ctx.env, "archive", o)).map((g) => ({ ...g, unit: "bills" as const })),
    );
  else if (incident === "push")
    groups.push(
      ...(await deliveryGroups(db, ctx.env, "push", o)).map((g) => ({ ...g, unit: "bills" as const })),
    );
  else
    groups.push(
      ...(await logGroups(db, ctx.env, codesOf(steps), o)).map((g) => ({ ...g, unit: "calls" as const })),
    );
  const stock =
    incident === "stock" || groups.some((g) => stepOfCode(g.code) === "stock")
      ? await stockLevels(db, ctx.env)
      : undefined;
  const causes: Cause[] = groups.map((g) => {
    const cause = {
      step: stepOfCode(g.code),
      code: g.code,
      zh: zhOf(g.code),
      count: g.n,
      unit: g.unit,
      first: g.first,
      last: g.last,
      example: g.example,
      value: g.value,
      seen: g.message,
      detail: detailOf(g),
    };
    return { ...cause, fix: causeFix(cause, { ...ctx, since: o.since, stock }) };
  });
  if (incident === "stock" && stock)
    for (const level of stock.filter((s) => s.remaining === 0 && !causes.some((c) => c.value === s.place)))
      causes.push({
        step: "stock",
        code: RESULT.noStock.code,
        zh: "开票点票据已用完（尚无失败的开票）",
        count: 0,
        unit: "calls",
        first: "",
        last: "",
        example: null,
        value: level.place,
        seen: null,
        fix: causeFix(
          { step: "stock", code: RESULT.noStock.code, value: level.place, seen: null, count: 0 },
          { ...ctx, since: o.since, stock },
        ),
      });
  if (incident === "printing") causes.push(...declaredPrintCauses(ctx, causes, o.since));
  causes.sort((a, b) => b.count - a.count || CHAIN.indexOf(a.step) - CHAIN.indexOf(b.step));
  return {
    incident,
    since: o.since,
    chain: steps.map((step) => ({
      step,
      name: STEP_NAMES[step],
      failures: causes.filter((c) => c.step === step).reduce((n, c) => n + c.count, 0),
    })),
    causes,
    ...(stock ? { stock } : {}),
  };
}

/**
 * Printing from the declarations alone, for PCs that have not failed yet (or cannot be seen from
 * here): a print component declared with a template that is no bill code of the fiscal year will
 * print this year's bills with last year's layout.
 */
function declaredPrintCauses(ctx: DiagnoseContext, found: readonly Cause[], since: string): Cause[] {
  const year = ctx.env.hospital.fiscalYear;
  const codes = (ctx.env.billTypes ?? []).filter((t) => t.year === year).map((t) => t.code);
  return (ctx.env.printComponents ?? [])
    .filter((p) => !codes.includes(p.template) && !found.some((c) => c.detail?.client === p.host))
    .map((p) => {
      const expected = codes.find((c) => c.slice(0, 6) === p.template.slice(0, 6)) ?? codes[0] ?? "?";
      const facts = {
        step: "print" as const,
        code: RESULT.templateMismatch.code,
        value: p.template,
        seen: `declared: printComponents of ${ctx.stackFile}, host ${p.host}, version ${p.version}`,
        count: 0,
        detail: { client: p.host, expected },
      };
      return {
        ...facts,
        zh: "打印组件声明的模板不是本年度票据代码（尚无失败的打印）",
        unit: "calls" as const,
        first: "",
        last: "",
        example: null,
        fix: causeFix(facts, { ...ctx, since }),
      };
    });
}

/** What a person reads: the cause first, its evidence and fix, then the chain walked. */
export function formatDiagnosis(d: Diagnosis): string {
  const lines = [`诊断 ${CLASS_NAMES[d.incident]} — since ${d.since}`];
  if (d.causes.length === 0) lines.push("未发现失败 no failures in the window: the chain is clear");
  d.causes.forEach((c, i) => {
    const unit = c.unit === "bills" ? "张票据 bills" : "次调用 calls";
    lines.push(
      "",
      `${i === 0 ? "原因 CAUSE" : `其他 also (${i + 1})`}: ${STEP_NAMES[c.step]} — ${c.zh} [${c.code}]${c.value ? ` '${c.value}'` : ""}`,
      `  证据 evidence: ${c.count} ${unit}${c.first ? `, first ${c.first}, last ${c.last}` : ""}${c.example ? `, e.g. busNo ${c.example}` : ""}`,
      ...(c.seen ? [`  所见 seen: ${c.seen}`] : []),
      `  处理 fix: ${c.fix}`,
    );
  });
  if (d.stock)
    lines.push(
      "",
      "库存 stock left: " +
        d.stock.map((s) => `${s.place}/${s.billCode} ${s.remaining.toLocaleString("en")}`).join(", "),
    );
  lines.push(
    "",
    "链路 chain: " +
      d.chain.map((s) => `${s.name} ${s.failures === 0 ? "ok" : `✗ ${s.failures}`}`).join(" → "),
  );
  return lines.join("\n");
}

export const hasFailures = (d: Diagnosis) => d.causes.length > 0;
export { SUCCESS };
