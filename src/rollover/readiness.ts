/**
 * Year-end readiness, item by item: what the declaration says for year Y and what the live systems
 * hold. Pure: the live state, usage, probes and disk figures are read elsewhere and passed in.
 */
import { PARTITIONED_TABLES, type Environment } from "../model/environment.ts";
import { codeForYear, yearPart } from "./derive.ts";
import type { LiveState, UsageRow, UsedRun } from "./live.ts";
import type { DiskSpace, ProbeResult } from "./probe.ts";
import { formatBytes } from "./probe.ts";
import { normalize, rangeSize, subtract, total } from "./ranges.ts";

export type ItemStatus = "ok" | "missing" | "unknown";

export interface ReadinessItem {
  /** Stable identity, e.g. `partition/bill/2027` or `stock/001/46060127`. */
  id: string;
  area: "storage" | "bill-types" | "templates" | "stock" | "interfaces" | "mappings" | "declaration";
  status: ItemStatus;
  /** What is checked, in a sentence. */
  title: string;
  /** What was found and, when not ok, what to do. */
  detail: string;
}

export interface ReadinessReport {
  stack: string;
  year: number;
  today: string;
  ready: boolean;
  items: ReadinessItem[];
}

export interface ReadinessInput {
  env: Environment;
  stack: string;
  year: number;
  today: string;
  /** Null when the database could not be read; every live item then says so. */
  live: LiveState | null;
  liveError?: string;
  /** Last year's issuing per point and code (for the stock of the first days). */
  lastYearUsage: UsageRow[];
  lastYearDays: number;
  /** Runs of numbers already used under year Y's codes (after 1 January), per point and code. */
  thisYearRuns: UsedRun[];
  /** Days of Y the stock must last. */
  stockDays: number;
  /** The interfaces the first bill of the year goes through, probed (see probe.ts). */
  probes: ProbeResult[];
  /** Free space per declared tablespace location; null = could not be measured, with the reason. */
  disk: Record<string, { space: DiskSpace | null; reason?: string }>;
}

export function evaluateReadiness(input: ReadinessInput): ReadinessReport {
  const { env, year, live } = input;
  const items: ReadinessItem[] = [];
  const add = (item: ReadinessItem) => items.push(item);
  const declared = yearPart(env, year);
  const liveOr = (found: boolean, ok: string, missing: string): [ItemStatus, string] =>
    live === null
      ? ["unknown", `database not read: ${input.liveError ?? "no connection"}`]
      : found
        ? ["ok", ok]
        : ["missing", missing];
  // Without the database nothing live is known: that alone makes the year not ready.
  if (live === null)
    add({
      id: "database",
      area: "declaration",
      status: "missing",
      title: "e-bill database readable",
      detail: `${input.liveError ?? "no connection"}; every live item below is unknown`,
    });
  const prepare = `run 'ebill-ops rollover prepare --stack ${input.stack} --year ${year}', review and merge, then apply`;
  const applyIt = `declared but not live; run 'ebill-ops apply --stack ${input.stack}'`;

  // Storage: tablespace (declared, live, room on its disk) and one partition per bill table.
  if (declared.tablespaces.length === 0)
    add({
      id: `tablespace/${year}`,
      area: "storage",
      status: "missing",
      title: `tablespace for ${year}`,
      detail: `no tablespace for ${year} declared in the stack; ${prepare}`,
    });
  const lastYearTablespace = live?.tablespaces.find((t) =>
    yearPart(env, year - 1).tablespaces.some((d) => d.name === t.name),
  );
  for (const t of declared.tablespaces) {
    const found = live?.tablespaces.find((l) => l.name === t.name);
    const [status, detail] = liveOr(!!found, `present at ${found?.location}`, `${t.name}: ${applyIt}`);
    add({ id: `tablespace/${t.name}`, area: "storage", status, title: `tablespace ${t.name}`, detail });
    // A year takes about what last year took; the safety margin of the stock applies here too.
    const need = Math.round((lastYearTablespace?.sizeBytes ?? 0) * env.maintenance.stockSafetyMargin);
    const measured = input.disk[t.location];
    const room: ReadinessItem = {
      id: `disk/${t.name}`,
      area: "storage",
      status: "unknown",
      title: `room on the disk of ${t.location}`,
      detail: measured?.reason ?? "not measured",
    };
    if (measured?.space) {
      const { freeBytes, totalBytes } = measured.space;
      const enough = freeBytes >= need && freeBytes > 0;
      room.status = enough ? "ok" : "missing";
      room.detail =
        `${formatBytes(freeBytes)} free of ${formatBytes(totalBytes)}; ${year - 1} used ${formatBytes(lastYearTablespace?.sizeBytes ?? 0)}, ` +
        `need ${formatBytes(need)} (x${env.maintenance.stockSafetyMargin})` +
        (enough ? "" : `; free space on the database host before 1 January`);
    }
    add(room);
  }
  for (const table of PARTITIONED_TABLES) {
    const decl = declared.partitions.find((p) => p.table === table);
    if (!decl) {
      add({
        id: `partition/${table}/${year}`,
        area: "storage",
        status: "missing",
        title: `${year} partition of ${table}`,
        detail: `not declared; ${prepare}`,
      });
      continue;
    }
    const found = live?.partitions.find((p) => p.table === table && p.years.includes(year));
    let [status, detail] = liveOr(
      !!found,
      `${found?.partition} in tablespace ${found?.tablespace ?? "(default)"}`,
      `${applyIt}; until then bills dated ${year}-01-01 cannot be stored`,
    );
    if (found && found.tablespace !== decl.tablespace) {
      status = "missing";
      detail = `${found.partition} is in tablespace ${found.tablespace ?? "(default)"}, declared ${decl.tablespace}; run apply`;
    }
    add({
      id: `partition/${table}/${year}`,
      area: "storage",
      status,
      title: `${year} partition of ${table}`,
      detail,
    });
  }

  // Bill types and their templates.
  const types = declared.billTypes.filter((b) => b.enabled);
  if (types.length === 0)
    add({
      id: `billTypes/${year}`,
      area: "bill-types",
      status: "missing",
      title: `bill types for ${year}`,
      detail: `no enabled bill type for ${year} declared; ${prepare}`,
    });
  for (const b of types) {
    const found = live?.billTypes.find((l) => l.code === b.code);
    let [status, detail] = liveOr(
      !!found && found.enabled,
      `live${b.example ? " (an EXAMPLE code: replace it with the code the fiscal platform issued)" : ""}`,
      found ? "live but disabled; run apply" : applyIt,
    );
    // A production hospital can only issue under the code the fiscal platform issued for the year:
    // an example code there is a placeholder, never ready, whatever the database holds.
    if (b.example && env.kind === "production") {
      status = "missing";
      detail =
        `${b.code} is an EXAMPLE code (example: true); a production stack must declare the code the fiscal platform ` +
        `issued for ${year}: replace it (bill type, its template, stock, placeBillCodes) and remove 'example'` +
        (found ? "" : `; it is not live either`);
    }
    add({
      id: `billType/${b.code}`,
      area: "bill-types",
      status,
      title: `bill type ${b.code} ${b.name}`,
      detail,
    });
    const template = declared.printTemplates.find((t) => t.billCode === b.code);
    if (!template) {
      add({
        id: `template/${b.code}`,
        area: "templates",
        status: "missing",
        title: `print template for ${b.code}`,
        detail: `not declared; ${prepare}`,
      });
      continue;
    }
    const liveTemplate = live?.templates.find((t) => t.billCode === b.code);
    const [tStatus, tDetail] = liveOr(!!liveTemplate, `live (${template.name} ${template.version})`, applyIt);
    add({
      id: `template/${b.code}`,
      area: "templates",
      status: tStatus,
      title: `print template for ${b.code}`,
      detail: tDetail,
    });
  }

  // Stock: every enabled point that issued last year must hold enough unused stock of the new code.
  const points = (env.invoicingPoints ?? []).filter((p) => p.enabled);
  const lastYear = yearPart(env, year - 1);
  for (const p of points) {
    // What the point issued last year (carried to the new code), and any code it newly gets.
    const codes = [
      ...new Set([
        ...(lastYear.placeBillCodes[p.code] ?? []).map((c) => codeForYear(c, year)),
        ...(declared.placeBillCodes[p.code] ?? []),
      ]),
    ];
    for (const code of codes) {
      const previous = codeForYear(code, year - 1);
      const id = `stock/${p.code}/${code}`;
      const title = `stock of ${code} at invoicing point ${p.code} ${p.name}`;
      if (!(declared.placeBillCodes[p.code] ?? []).includes(code)) {
        add({
          id,
          area: "stock",
          status: "missing",
          title,
          detail: `point ${p.code} issued ${previous} in ${year - 1} but may not issue ${code}; ${prepare}`,
        });
        continue;
      }
      const used = input.lastYearUsage.find((u) => u.place === p.code && u.billCode === previous)?.count ?? 0;
      const perDay = input.lastYearDays > 0 ? used / input.lastYearDays : 0;
      const need = Math.ceil(perDay * input.stockDays);
      const declaredIssue = declared.billStock.filter(
        (s) => s.place === p.code && s.billCode === code && s.purpose === "issue",
      );
      if (declaredIssue.length === 0) {
        add({
          id,
          area: "stock",
          status: "missing",
          title,
          detail: `no ${code} stock declared for ${p.code}; ${prepare}`,
        });
        continue;
      }
      if (!live) {
        add({
          id,
          area: "stock",
          status: "unknown",
          title,
          detail: `database not read: ${input.liveError ?? ""}`,
        });
        continue;
      }
      const liveRanges = normalize(
        live.stock
          .filter((s) => s.place === p.code && s.billCode === code && s.purpose === "issue")
          .map((s) => ({ first: s.first, last: s.last })),
      );
      const usedNow = input.thisYearRuns
        .filter((u) => u.place === p.code && u.billCode === code)
        .map((u) => ({ first: u.first, last: u.last }));
      const unused = total(subtract(liveRanges, usedNow));
      const enough = liveRanges.length > 0 && unused >= need;
      add({
        id,
        area: "stock",
        status: enough ? "ok" : "missing",
        title,
        detail:
          liveRanges.length === 0
            ? `no ${code} stock distributed to ${p.code} in the database; ${applyIt}`
            : `${unused} unused numbers; the first ${input.stockDays} days need ${need} ` +
              `(${perDay.toFixed(1)}/day in ${year - 1})` +
              (enough ? "" : `; distribute more stock to ${p.code} and apply`),
      });
      const exchange = live.stock.filter(
        (s) => s.place === p.code && s.billCode === code && s.purpose === "exchange",
      );
      const declaredExchange = declared.billStock.some(
        (s) => s.place === p.code && s.billCode === code && s.purpose === "exchange",
      );
      if (declaredExchange || exchange.length > 0)
        add({
          id: `exchange/${p.code}/${code}`,
          area: "stock",
          status: exchange.length > 0 ? "ok" : "missing",
          title: `exchange stock (旧票回收) of ${code} at ${p.code}`,
          detail:
            exchange.length > 0
              ? `${exchange.reduce((n, s) => n + rangeSize(s), 0)} numbers pre-distributed`
              : `declared but not in the database; ${applyIt}`,
        });
      else
        add({
          id: `exchange/${p.code}/${code}`,
          area: "stock",
          status: "missing",
          title: `exchange stock (旧票回收) of ${code} at ${p.code}`,
          detail: `no range with purpose "exchange" declared; ${prepare}`,
        });
    }
  }

  // Interfaces the first bill of the year goes through: ok only when the service proved itself.
  for (const p of input.probes) add(probeItem(p));

  // Mappings: every point and channel that will issue the new codes is mapped for HIS and fiscal.
  // (Mappings are by place and channel, not by bill code, so new codes need no new rows; but an
  // unmapped point fails at its first bill of the year all the same.)
  const issuing = points.filter(
    (p) =>
      (declared.placeBillCodes[p.code] ?? []).length + (lastYear.placeBillCodes[p.code] ?? []).length > 0,
  );
  const channels = (env.paymentChannels ?? []).filter((c) => c.enabled);
  const wanted = [
    ...issuing.map((p) => ({ kind: "place", code: p.code })),
    ...channels.map((c) => ({ kind: "channel", code: c.code })),
  ];
  for (const w of wanted)
    for (const system of ["his", "fiscal"]) {
      const isDeclared = (env.codeMappings ?? []).some(
        (m) => m.system === system && m.kind === w.kind && m.local === w.code,
      );
      const isLive = live?.mappings.some(
        (m) => m.system === system && m.kind === w.kind && m.local === w.code,
      );
      const id = `mapping/${system}/${w.kind}/${w.code}`;
      const title = `${system} mapping of ${w.kind} ${w.code}`;
      if (!isDeclared)
        add({
          id,
          area: "mappings",
          status: "missing",
          title,
          detail: `not declared; add codeMappings { system: "${system}", kind: "${w.kind}", local: "${w.code}", remote: ... }`,
        });
      else {
        const [status, detail] = liveOr(!!isLive, "live", applyIt);
        add({ id, area: "mappings", status, title, detail });
      }
    }

  return {
    stack: input.stack,
    year,
    today: input.today,
    ready: items.every((i) => i.status !== "missing"),
    items,
  };
}

/**
 * A probe as a readiness item. Only a verified answer is ok. Nothing answering, or an answer that
 * fails the proof the target was asked for (a 404 where a signed answer was due), is missing; an
 * answer from a target that has nothing to prove itself with (plain HTTP), or a probe not sent
 * (sandbox hosts not up), is unknown: never ok, and said why.
 */
function probeItem(p: ProbeResult): ReadinessItem {
  const base = {
    id: `endpoint/${p.name}`,
    area: "interfaces" as const,
    title: `${p.name} answers at ${p.url}`,
  };
  const took = `${p.ms} ms`;
  switch (p.verdict) {
    case "verified":
      return { ...base, status: "ok", detail: `verified: ${p.evidence} in ${took}` };
    case "failing":
      return { ...base, status: "missing", detail: `${p.evidence}; check the service` };
    case "unreachable":
      return {
        ...base,
        status: "missing",
        detail: `no answer (${p.layer}): ${p.evidence}; check the service, the network path and the URL in the stack`,
      };
    case "not-verified":
      return p.proofAsked
        ? {
            ...base,
            status: "missing",
            detail: `not the service: ${p.evidence}; check the URL, appid and app key in the stack`,
          }
        : { ...base, status: "unknown", detail: p.evidence };
    case "not-probed":
      return { ...base, status: "unknown", detail: `not probed: ${p.evidence}` };
  }
}
