/**
 * The year-end readiness checks: small named functions in the health-check contract
 * (src/checks/types.ts), each judging one thing about year Y from the facts `rollover check`
 * gathered. A result's `target` names what it is about (a tablespace, `001/46060127` for a point's
 * stock); `item` and `itemTitle` word it as a line of the readiness report (readiness.ts).
 *
 * Statuses: ok; `fail` when something is missing or wrong (the report's "missing"); `unknown` when
 * it could not be told (the database not read, a probe not sent), never shown as ok.
 */
import type { Check, CheckResult, CheckStatus } from "../checks/types.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";
import { codeForYear, yearPart } from "./derive.ts";
import { formatBytes, type ProbeResult } from "../probe/probe.ts";
import { normalize, rangeSize, subtract, total } from "./ranges.ts";
import type { ReadinessArea, ReadinessInput } from "./readiness.ts";

export interface ReadinessCheck extends Check<ReadinessInput> {
  /** The report's area of the check's items. */
  readinessArea: ReadinessArea;
  /** The report's item id of a result (`tablespace/ebill_2027`), from its target. */
  item(target: string): string;
  /** The report's title of a result, from its target. */
  itemTitle(target: string, input: ReadinessInput): string;
}

const prepareAdvice = (i: ReadinessInput) =>
  `run 'ebill-ops rollover prepare --stack ${i.stack} --year ${i.year}', review and merge, then apply`;
const applyAdvice = (i: ReadinessInput) => `run 'ebill-ops apply --stack ${i.stack}'`;

function result(
  id: string,
  target: string,
  status: CheckStatus,
  evidence: string,
  advice?: string,
  value: CheckResult["value"] = null,
): CheckResult {
  return { id, target, status, value, evidence, ...(advice ? { advice } : {}) };
}

/**
 * A live fact as a result: unknown without the database, ok when found, else missing with the
 * advice (by default: declared but not live, apply it).
 */
function live(
  i: ReadinessInput,
  id: string,
  target: string,
  found: boolean,
  ok: string,
  missing: { evidence?: string; advice?: string } = {},
): CheckResult {
  if (i.live === null)
    return result(id, target, "unknown", `database not read: ${i.liveError ?? "no connection"}`);
  if (found) return result(id, target, "ok", ok);
  return result(
    id,
    target,
    "fail",
    missing.evidence ?? "declared but not live",
    missing.advice ?? applyAdvice(i),
  );
}

function check(
  id: string,
  area: ReadinessArea,
  title: string,
  words: { item: (target: string) => string; title: (target: string, input: ReadinessInput) => string },
  evaluate: (input: ReadinessInput) => CheckResult[],
): ReadinessCheck {
  return {
    id,
    area: "year-end",
    title: { zh: title, en: title },
    quick: false,
    readinessArea: area,
    item: words.item,
    itemTitle: words.title,
    evaluate,
  };
}

// ---------------------------------------------------------------------------------------------
// The database itself

export const databaseReadable = check(
  "year-end.database.readable",
  "declaration",
  "e-bill database readable 电子票据数据库可读",
  { item: () => "database", title: () => "e-bill database readable" },
  // Without the database nothing live is known: that alone makes the year not ready.
  (i) =>
    i.live === null
      ? [
          result(
            "year-end.database.readable",
            "",
            "fail",
            i.liveError ?? "no connection",
            "every live item below is unknown",
          ),
        ]
      : [],
);

// ---------------------------------------------------------------------------------------------
// Storage: the year's tablespace, room on its disk, one partition per bill table

export const tablespaceDeclared = check(
  "year-end.tablespace.declared",
  "storage",
  "the year's tablespace declared 年度表空间已声明",
  { item: (year) => `tablespace/${year}`, title: (year) => `tablespace for ${year}` },
  (i) =>
    yearPart(i.env, i.year).tablespaces.length > 0
      ? []
      : [
          result(
            "year-end.tablespace.declared",
            String(i.year),
            "fail",
            `no tablespace for ${i.year} declared in the stack`,
            prepareAdvice(i),
          ),
        ],
);

export const tablespaceLive = check(
  "year-end.tablespace.live",
  "storage",
  "the year's tablespace live 年度表空间已创建",
  { item: (name) => `tablespace/${name}`, title: (name) => `tablespace ${name}` },
  (i) =>
    yearPart(i.env, i.year).tablespaces.map((t) => {
      const found = i.live?.tablespaces.find((l) => l.name === t.name);
      return live(i, "year-end.tablespace.live", t.name, !!found, `present at ${found?.location}`, {
        evidence: `${t.name}: declared but not live`,
      });
    }),
);

/** A year takes about what last year took; the safety margin of the stock applies here too. */
function roomFor(i: ReadinessInput, name: string, location: string): CheckResult {
  const id = "year-end.disk.room";
  const lastYear = i.live?.tablespaces.find((t) =>
    yearPart(i.env, i.year - 1).tablespaces.some((d) => d.name === t.name),
  );
  const margin = i.env.maintenance.stockSafetyMargin;
  const need = Math.round((lastYear?.sizeBytes ?? 0) * margin);
  const measured = i.disk[location];
  if (!measured?.space) return result(id, name, "unknown", measured?.reason ?? "not measured");
  const { freeBytes, totalBytes } = measured.space;
  const enough = freeBytes >= need && freeBytes > 0;
  const evidence =
    `${formatBytes(freeBytes)} free of ${formatBytes(totalBytes)}; ${i.year - 1} used ${formatBytes(lastYear?.sizeBytes ?? 0)}, ` +
    `need ${formatBytes(need)} (x${margin})`;
  return enough
    ? result(id, name, "ok", evidence, undefined, freeBytes)
    : result(id, name, "fail", evidence, "free space on the database host before 1 January", freeBytes);
}

export const diskRoom = check(
  "year-end.disk.room",
  "storage",
  "room for the year on the tablespace's disk 表空间磁盘余量",
  {
    item: (name) => `disk/${name}`,
    title: (name, i) =>
      `room on the disk of ${i.env.tablespaces?.find((t) => t.name === name)?.location ?? name}`,
  },
  (i) => yearPart(i.env, i.year).tablespaces.map((t) => roomFor(i, t.name, t.location)),
);

export const partitionsLive = check(
  "year-end.partition.live",
  "storage",
  "the year's partitions live, in its tablespace 年度分区已创建",
  {
    item: (target) => `partition/${target}`,
    title: (target) => `${target.split("/")[1]} partition of ${target.split("/")[0]}`,
  },
  (i) =>
    PARTITIONED_TABLES.map((table) => {
      const id = "year-end.partition.live";
      const target = `${table}/${i.year}`;
      const declared = yearPart(i.env, i.year).partitions.find((p) => p.table === table);
      if (!declared) return result(id, target, "fail", "not declared", prepareAdvice(i));
      const found = i.live?.partitions.find((p) => p.table === table && p.year === i.year);
      if (found && found.tablespace !== declared.tablespace)
        return result(
          id,
          target,
          "fail",
          `${found.partition} is in tablespace ${found.tablespace}, declared ${declared.tablespace}`,
          "run apply",
        );
      return live(i, id, target, !!found, `${found?.partition} in tablespace ${found?.tablespace}`, {
        advice: `${applyAdvice(i)}; until then bills dated ${i.year}-01-01 cannot be stored`,
      });
    }),
);

// ---------------------------------------------------------------------------------------------
// Bill types and their print templates

const enabledTypes = (i: ReadinessInput) => yearPart(i.env, i.year).billTypes.filter((b) => b.enabled);

export const billTypesDeclared = check(
  "year-end.bill-types.declared",
  "bill-types",
  "the year's bill types declared 年度票据种类已声明",
  { item: (year) => `billTypes/${year}`, title: (year) => `bill types for ${year}` },
  (i) =>
    enabledTypes(i).length > 0
      ? []
      : [
          result(
            "year-end.bill-types.declared",
            String(i.year),
            "fail",
            `no enabled bill type for ${i.year} declared`,
            prepareAdvice(i),
          ),
        ],
);

export const billTypesLive = check(
  "year-end.bill-type.live",
  "bill-types",
  "each bill type of the year live and issued by the fiscal platform 票据种类已启用",
  {
    item: (code) => `billType/${code}`,
    title: (code, i) => `bill type ${code} ${i.env.billTypes?.find((b) => b.code === code)?.name ?? ""}`,
  },
  (i) =>
    enabledTypes(i).map((b) => {
      const id = "year-end.bill-type.live";
      const found = i.live?.billTypes.find((l) => l.code === b.code);
      // A production hospital can only issue under the code the fiscal platform issued for the
      // year: an example code there is a placeholder, never ready, whatever the database holds.
      if (b.example && i.env.kind === "production")
        return result(
          id,
          b.code,
          "fail",
          `${b.code} is an EXAMPLE code (example: true)`,
          `a production stack must declare the code the fiscal platform issued for ${i.year}: replace it (bill type, its template, stock, placeBillCodes) and remove 'example'` +
            (found ? "" : "; it is not live either"),
        );
      const example = b.example
        ? " (an EXAMPLE code: replace it with the code the fiscal platform issued)"
        : "";
      return live(i, id, b.code, !!found && found.enabled, `live${example}`, {
        evidence: found ? "live but disabled" : "declared but not live",
        advice: found ? "run apply" : applyAdvice(i),
      });
    }),
);

export const templatesLive = check(
  "year-end.template.live",
  "templates",
  "a print template for each bill type of the year 打印模板已配置",
  { item: (code) => `template/${code}`, title: (code) => `print template for ${code}` },
  (i) =>
    enabledTypes(i).map((b) => {
      const id = "year-end.template.live";
      const template = yearPart(i.env, i.year).printTemplates.find((t) => t.billCode === b.code);
      if (!template) return result(id, b.code, "fail", "not declared", prepareAdvice(i));
      const found = i.live?.templates.some((t) => t.billCode === b.code) ?? false;
      return live(i, id, b.code, found, `live (${template.name} ${template.version})`);
    }),
);

// ---------------------------------------------------------------------------------------------
// Stock: every enabled point that issued last year holds enough unused stock of the new code

/** Each enabled point with the codes it must issue in Y: last year's carried over, and new ones. */
function pointCodes(i: ReadinessInput): { place: { code: string; name: string }; code: string }[] {
  const declared = yearPart(i.env, i.year);
  const lastYear = yearPart(i.env, i.year - 1);
  return (i.env.invoicingPoints ?? [])
    .filter((p) => p.enabled)
    .flatMap((p) =>
      [
        ...new Set([
          ...(lastYear.placeBillCodes[p.code] ?? []).map((c) => codeForYear(c, i.year)),
          ...(declared.placeBillCodes[p.code] ?? []),
        ]),
      ].map((code) => ({ place: p, code })),
    );
}

function stockOf(i: ReadinessInput, place: string, code: string): CheckResult {
  const id = "year-end.stock.first-days";
  const target = `${place}/${code}`;
  const declared = yearPart(i.env, i.year);
  const previous = codeForYear(code, i.year - 1);
  if (!(declared.placeBillCodes[place] ?? []).includes(code))
    return result(
      id,
      target,
      "fail",
      `point ${place} issued ${previous} in ${i.year - 1} but may not issue ${code}`,
      prepareAdvice(i),
    );
  const used = i.lastYearUsage.find((u) => u.place === place && u.billCode === previous)?.count ?? 0;
  const perDay = i.lastYearDays > 0 ? used / i.lastYearDays : 0;
  const need = Math.ceil(perDay * i.stockDays);
  if (!declared.billStock.some((s) => s.place === place && s.billCode === code && s.purpose === "issue"))
    return result(id, target, "fail", `no ${code} stock declared for ${place}`, prepareAdvice(i));
  if (!i.live) return result(id, target, "unknown", `database not read: ${i.liveError ?? ""}`);
  const liveRanges = normalize(
    i.live.stock.filter((s) => s.place === place && s.billCode === code && s.purpose === "issue"),
  );
  if (liveRanges.length === 0)
    return result(
      id,
      target,
      "fail",
      `no ${code} stock distributed to ${place} in the database`,
      `declared but not live; ${applyAdvice(i)}`,
    );
  const usedNow = i.thisYearRuns.filter((u) => u.place === place && u.billCode === code);
  const unused = total(subtract(liveRanges, usedNow));
  const evidence = `${unused} unused numbers; the first ${i.stockDays} days need ${need} (${perDay.toFixed(1)}/day in ${i.year - 1})`;
  return unused >= need
    ? result(id, target, "ok", evidence, undefined, unused)
    : result(id, target, "fail", evidence, `distribute more stock to ${place} and apply`, unused);
}

export const stockFirstDays = check(
  "year-end.stock.first-days",
  "stock",
  "stock for the first days of the year at each invoicing point 开票点票据号段充足",
  {
    item: (target) => `stock/${target}`,
    title: (target, i) => {
      const [place, code] = target.split("/");
      return `stock of ${code} at invoicing point ${place} ${i.env.invoicingPoints?.find((p) => p.code === place)?.name ?? ""}`;
    },
  },
  (i) => pointCodes(i).map(({ place, code }) => stockOf(i, place.code, code)),
);

function exchangeOf(i: ReadinessInput, place: string, code: string): CheckResult | null {
  const id = "year-end.stock.exchange";
  const target = `${place}/${code}`;
  // Only where the point may issue the code and the database could be read (the stock check says why not).
  const declared = yearPart(i.env, i.year).billStock;
  const mayIssue = declared.some((s) => s.place === place && s.billCode === code && s.purpose === "issue");
  if (!i.live || !mayIssue || !(yearPart(i.env, i.year).placeBillCodes[place] ?? []).includes(code))
    return null;
  const exchange = i.live.stock.filter(
    (s) => s.place === place && s.billCode === code && s.purpose === "exchange",
  );
  const declaredExchange = declared.some(
    (s) => s.place === place && s.billCode === code && s.purpose === "exchange",
  );
  if (exchange.length > 0)
    return result(
      id,
      target,
      "ok",
      `${exchange.reduce((n, s) => n + rangeSize(s), 0)} numbers pre-distributed`,
    );
  return declaredExchange
    ? result(
        id,
        target,
        "fail",
        "declared but not in the database",
        `declared but not live; ${applyAdvice(i)}`,
      )
    : result(id, target, "fail", `no range with purpose "exchange" declared`, prepareAdvice(i));
}

export const exchangeStock = check(
  "year-end.stock.exchange",
  "stock",
  "exchange stock (旧票回收) at each invoicing point 旧票回收号段",
  {
    item: (target) => `exchange/${target}`,
    title: (target) => `exchange stock (旧票回收) of ${target.split("/")[1]} at ${target.split("/")[0]}`,
  },
  (i) => pointCodes(i).flatMap(({ place, code }) => exchangeOf(i, place.code, code) ?? []),
);

// ---------------------------------------------------------------------------------------------
// Interfaces the first bill of the year goes through: ok only when the service proved itself

/**
 * A probe as a result. Only a verified answer is ok. Nothing answering, or an answer that fails
 * the proof the target was asked for (a 404 where a signed answer was due), fails; an answer from
 * a target that has nothing to prove itself with (plain HTTP), or a probe not sent (sandbox hosts
 * not up), is unknown: never ok, and said why.
 */
function probeResult(p: ProbeResult): CheckResult {
  const id = "year-end.interface.answers";
  const took = `${p.ms} ms`;
  switch (p.verdict) {
    case "verified":
      return result(id, p.name, "ok", `verified: ${p.evidence} in ${took}`, undefined, p.ms);
    case "failing":
      return result(id, p.name, "fail", p.evidence, "check the service");
    case "unreachable":
      return result(
        id,
        p.name,
        "fail",
        `no answer (${p.layer}): ${p.evidence}`,
        "check the service, the network path and the URL in the stack",
      );
    case "not-verified":
      return p.proofAsked
        ? result(
            id,
            p.name,
            "fail",
            `not the service: ${p.evidence}`,
            "check the URL, appid and app key in the stack",
          )
        : result(id, p.name, "unknown", p.evidence);
    case "not-probed":
      return result(id, p.name, "unknown", `not probed: ${p.evidence}`);
  }
}

export const interfacesAnswer = check(
  "year-end.interface.answers",
  "interfaces",
  "the interfaces of the first bill of the year answer as themselves 接口可用",
  {
    item: (name) => `endpoint/${name}`,
    title: (name, i) => `${name} answers at ${i.probes.find((p) => p.name === name)?.url ?? ""}`,
  },
  (i) => i.probes.map(probeResult),
);

// ---------------------------------------------------------------------------------------------
// Mappings: every point and channel that issues the new codes is mapped for HIS and fiscal.
// (Mappings are by place and channel, not by bill code, so new codes need no new rows; but an
// unmapped point fails at its first bill of the year all the same.)

export const mappingsLive = check(
  "year-end.mapping.live",
  "mappings",
  "each issuing point and channel mapped for HIS and the fiscal platform 接口对照完整",
  {
    item: (target) => `mapping/${target}`,
    title: (target) => {
      const [system, kind, code] = target.split("/");
      return `${system} mapping of ${kind} ${code}`;
    },
  },
  (i) => {
    const declared = yearPart(i.env, i.year);
    const lastYear = yearPart(i.env, i.year - 1);
    const issuing = (i.env.invoicingPoints ?? []).filter(
      (p) =>
        p.enabled &&
        (declared.placeBillCodes[p.code] ?? []).length + (lastYear.placeBillCodes[p.code] ?? []).length > 0,
    );
    const wanted = [
      ...issuing.map((p) => ({ kind: "place", code: p.code })),
      ...(i.env.paymentChannels ?? [])
        .filter((c) => c.enabled)
        .map((c) => ({ kind: "channel", code: c.code })),
    ];
    return wanted.flatMap((w) =>
      ["his", "fiscal"].map((system) => {
        const id = "year-end.mapping.live";
        const target = `${system}/${w.kind}/${w.code}`;
        const is = (m: { system: string; kind: string; local: string }) =>
          m.system === system && m.kind === w.kind && m.local === w.code;
        if (!(i.env.codeMappings ?? []).some(is))
          return result(
            id,
            target,
            "fail",
            "not declared",
            `add codeMappings { system: "${system}", kind: "${w.kind}", local: "${w.code}", remote: ... }`,
          );
        return live(i, id, target, i.live?.mappings.some(is) ?? false, "live");
      }),
    );
  },
);

/** Every readiness check, in the order of the report. */
export const READINESS_CHECKS: readonly ReadinessCheck[] = [
  databaseReadable,
  tablespaceDeclared,
  tablespaceLive,
  diskRoom,
  partitionsLive,
  billTypesDeclared,
  billTypesLive,
  templatesLive,
  stockFirstDays,
  exchangeStock,
  interfacesAnswer,
  mappingsLive,
];
