/**
 * Checks of the billing itself, judged from the database collector's business facts: how many
 * bills are issued, how many voided, and for how many days each invoicing point's unused stock
 * lasts at its current issuing rate.
 */
import { localDate } from "../base/time.ts";
import { localTimestamp } from "./collect-database.ts";
import type { CheckResult } from "./types.ts";
import type { BusinessFacts, HealthFacts } from "./facts.ts";
import type { HealthCheck } from "./host-checks.ts";
import { databaseTarget } from "./database-checks.ts";
import { asThreshold, higherIsWorse, lowerIsWorse, round, unknown, type HealthContext } from "./judge.ts";

/** Days the issuing rate is averaged over. */
export const RATE_DAYS = 30;
/** Fewer bills than this in 30 days say nothing about a void ratio. */
const FEW_BILLS = 20;

function withBusiness(
  facts: HealthFacts,
  ctx: HealthContext,
  id: string,
  judge: (b: BusinessFacts, target: string) => CheckResult[],
): CheckResult[] {
  const target = databaseTarget(ctx);
  if (!facts.database.ok)
    return [unknown(id, target, `数据库未读取（见 db.reachable）：${facts.database.reason}`)];
  const business = facts.database.value.business;
  if (!business.ok) return [unknown(id, target, `票据数据未读取：${business.reason}`)];
  return judge(business.value, target);
}

export const billsPerDay: HealthCheck = {
  id: "biz.bills.per-day",
  area: "business",
  title: { zh: "日开票量", en: "Bills per day" },
  quick: false,
  evaluate(facts, ctx) {
    return withBusiness(facts, ctx, this.id, (b, target) => {
      const average = round(b.previous28Days / 28);
      const stopped = b.lastDay === 0 && average >= 1;
      return [
        {
          id: this.id,
          target,
          status: stopped ? "warn" : "ok",
          value: b.lastDay,
          unit: "张/24小时",
          evidence: `最近 24 小时 ${b.lastDay} 张；此前 28 天日均 ${average} 张（按季度的每日开票量见报告图表）`,
          ...(stopped
            ? { advice: "24 小时没有开出票据：确认收费窗口与自助机能否开票（服务、签名服务器、财政平台）" }
            : {}),
        },
      ];
    });
  },
};

export const voidRatio: HealthCheck = {
  id: "biz.void.ratio",
  area: "business",
  title: { zh: "作废率（30 天）", en: "Voided bills in 30 days" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.voidPercent;
    return withBusiness(facts, ctx, this.id, (b, target) => {
      const total = b.recent.reduce((n, r) => n + r.count, 0);
      const voided = b.recent.reduce((n, r) => n + r.voided, 0);
      const percent = total === 0 ? 0 : round((voided / total) * 100);
      if (total < FEW_BILLS)
        return [
          {
            id: this.id,
            target,
            status: "ok",
            value: percent,
            unit: "%",
            evidence: `30 天内 ${total} 张、作废 ${voided} 张：票据太少，不作判断`,
          },
        ];
      const status = higherIsWorse(percent, limit);
      return [
        {
          id: this.id,
          target,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `30 天内 ${total} 张，作废 ${voided} 张`,
          ...(status !== "ok"
            ? { advice: "作废偏多：按开票点和操作员查看作废原因（操作失误、接口重复开票）" }
            : {}),
        },
      ];
    });
  },
};

/** Unused numbers and the issuing rate per invoicing point and bill code of the year in operation. */
export function stockLines(
  b: BusinessFacts,
  year: number,
): { place: string; billCode: string; unused: number; perDay: number; ranges: number }[] {
  const thisYear = new Set(b.billTypes.filter((t) => t.year === year).map((t) => t.code));
  const enabledPoints = new Set(b.points.filter((p) => p.enabled).map((p) => p.code));
  const lines = new Map<
    string,
    { place: string; billCode: string; unused: number; perDay: number; ranges: number }
  >();
  const line = (place: string, billCode: string) => {
    const key = `${place}\u0000${billCode}`;
    let found = lines.get(key);
    if (!found) lines.set(key, (found = { place, billCode, unused: 0, perDay: 0, ranges: 0 }));
    return found;
  };
  for (const s of b.stock) {
    if (!s.enabled || s.purpose !== "issue" || !thisYear.has(s.billCode) || !enabledPoints.has(s.place))
      continue;
    const size = Number(s.last) - Number(s.first) + 1;
    const l = line(s.place, s.billCode);
    l.unused += Math.max(0, size - s.used);
    l.ranges++;
  }
  for (const r of b.recent) {
    if (!thisYear.has(r.billCode) || !enabledPoints.has(r.place)) continue;
    line(r.place, r.billCode).perDay = r.count / RATE_DAYS;
  }
  return [...lines.values()].sort(
    (x, y) => x.place.localeCompare(y.place) || x.billCode.localeCompare(y.billCode),
  );
}

export const stockDaysLeft: HealthCheck = {
  id: "biz.stock.days-left",
  area: "business",
  title: { zh: "开票点票据库存可用天数", en: "Days of bill stock left per invoicing point" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.stockDaysLeft;
    const year = localDate(ctx.now, ctx.env.maintenance.timezone).year;
    return withBusiness(facts, ctx, this.id, (b) => {
      const lines = stockLines(b, year);
      if (lines.length === 0)
        return [unknown(this.id, `${year}`, `数据库中没有 ${year} 年的票据种类或下发到开票点的号段`)];
      return lines.map((l) => {
        const target = `${l.place}/${l.billCode}`;
        const basis = `未用 ${l.unused} 张（${l.ranges} 个号段）；近 ${RATE_DAYS} 天日均 ${round(l.perDay)} 张`;
        if (l.perDay === 0)
          return {
            id: this.id,
            target,
            status: "ok" as const,
            value: null,
            threshold: asThreshold(limit),
            evidence: `${basis}：近期未开票，库存不减少`,
          };
        const days = round(l.unused / l.perDay);
        const status = lowerIsWorse(days, limit);
        return {
          id: this.id,
          target,
          status,
          value: days,
          unit: "天",
          threshold: asThreshold(limit),
          evidence: basis,
          ...(status !== "ok"
            ? {
                advice: `向财政部门申领并下发新号段给开票点 ${l.place}（在栈的 billStock 中声明后 apply），库存用完后该点无法开票`,
              }
            : {}),
        };
      });
    });
  },
};

/** The product's schema as this tool knows it (src/db/reference-schema.ts) records no such state. */
const NOT_RECORDED = (what: string) =>
  `本工具所知的产品表结构（src/db/reference-schema.ts）中没有票据的${what}状态；接入产品的相应表后即可测量，在此之前请在产品界面中查看`;

/** Hours a bill may wait for archiving or push: the service retries for minutes, not for hours. */
export const DELIVERY_AGE_HOURS = { warn: 1, fail: 24 } as const;

function oldestOpen(leg: "archive" | "push"): HealthCheck {
  const what = leg === "archive" ? "归档" : "推送";
  const incident = leg === "archive" ? "archiving" : "push";
  return {
    id: `biz.${leg}.oldest`,
    area: "business",
    title: { zh: `最早的未${what}票据`, en: `Oldest bill not ${leg === "archive" ? "archived" : "pushed"}` },
    quick: false,
    evaluate(facts, ctx) {
      return withBusiness(facts, ctx, this.id, (business, target) =>
        judgeOpen(this.id, business, target, ctx),
      );
    },
  };
  function judgeOpen(id: string, business: BusinessFacts, target: string, ctx: HealthContext): CheckResult[] {
    const delivery = business.delivery;
    if (!delivery) return [unknown(id, target, NOT_RECORDED(what))];
    const open = leg === "archive" ? delivery.archiveOpen : delivery.pushOpen;
    const oldest = leg === "archive" ? delivery.archiveOldest : delivery.pushOldest;
    if (open === 0 || !oldest)
      return [
        {
          id,
          target,
          status: "ok",
          value: 0,
          unit: "小时",
          threshold: asThreshold(DELIVERY_AGE_HOURS),
          evidence: `没有未${what}的票据`,
        },
      ];
    const nowLocal = localTimestamp(ctx.now, ctx.env.maintenance.timezone);
    const hours = round(
      (Date.parse(`${nowLocal.replace(" ", "T")}Z`) - Date.parse(`${oldest.replace(" ", "T")}Z`)) / 3_600_000,
    );
    const status = higherIsWorse(hours, DELIVERY_AGE_HOURS);
    return [
      {
        id,
        target,
        status,
        value: hours,
        unit: "小时",
        threshold: asThreshold(DELIVERY_AGE_HOURS),
        evidence: `${open} 张票据未${what}，最早一张开具于 ${oldest}`,
        ...(status !== "ok"
          ? {
              advice: `ebill-ops diagnose ${incident} --stack <栈> 找出原因，排除后 ebill-ops retry ${leg} --stack <栈> --since "${oldest}"`,
            }
          : {}),
      },
    ];
  }
}

export const oldestNotArchived: HealthCheck = oldestOpen("archive");
export const oldestNotPushed: HealthCheck = oldestOpen("push");

export const BUSINESS_CHECKS: HealthCheck[] = [
  billsPerDay,
  voidRatio,
  stockDaysLeft,
  oldestNotArchived,
  oldestNotPushed,
];
