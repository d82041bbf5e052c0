/**
 * Checks of the e-bill database, judged from the database collector's facts (a constant number of
 * round trips whatever the number of tables and partitions, src/checks/collect-database.ts).
 */
import { effectivePort } from "../db/connect.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";
import { localDate } from "../base/time.ts";
import type { CheckResult } from "./types.ts";
import type { DatabaseFacts, HealthFacts, PreviousSizes, TablespaceFacts } from "./facts.ts";
import { sectionError } from "./facts.ts";
import type { HealthCheck } from "./host-checks.ts";
import {
  asThreshold,
  formatBytes,
  formatSeconds,
  higherIsWorse,
  lowerIsWorse,
  round,
  unknown,
  type HealthContext,
} from "./judge.ts";

const DAY_MS = 86_400_000;

/** The database as a target: its name at the address the tool connects to. */
export function databaseTarget(ctx: HealthContext): string {
  return `${ctx.env.database.name}@${ctx.env.database.host}:${effectivePort(ctx.env)}`;
}

function withDatabase(
  facts: HealthFacts,
  ctx: HealthContext,
  id: string,
  judge: (db: DatabaseFacts, target: string) => CheckResult[],
): CheckResult[] {
  const target = databaseTarget(ctx);
  if (!facts.database.ok)
    return [unknown(id, target, `数据库未读取（见 db.reachable）：${facts.database.reason}`)];
  return judge(facts.database.value, target);
}

export const dbReachable: HealthCheck = {
  id: "db.reachable",
  area: "database",
  title: { zh: "数据库可连接", en: "Database answers" },
  quick: true,
  evaluate(facts, ctx) {
    const target = databaseTarget(ctx);
    if (!facts.database.ok)
      return [
        {
          id: this.id,
          target,
          status: "fail",
          value: false,
          evidence: facts.database.reason,
          advice: "数据库不可用时无法开票：检查数据库服务、磁盘空间、网络，以及栈中的地址与密码",
        },
      ];
    return [{ id: this.id, target, status: "ok", value: true, evidence: facts.database.value.version }];
  },
};

export const dbSize: HealthCheck = {
  id: "db.size",
  area: "database",
  title: { zh: "数据库大小", en: "Database size" },
  quick: false,
  evaluate(facts, ctx) {
    return withDatabase(facts, ctx, this.id, (db, target) => [
      {
        id: this.id,
        target,
        status: "ok",
        value: db.sizeBytes,
        unit: "B",
        evidence: `${db.database} 共 ${formatBytes(db.sizeBytes)}（趋势见报告）`,
      },
    ]);
  },
};

/**
 * How fast a tablespace grows, bytes per day: against the previous inspection when there is one,
 * else, for the tablespace of the year in operation, its size since 1 January (a yearly
 * tablespace starts empty); a closed or future year's tablespace does not grow. Null: no basis.
 */
export function growthPerDay(
  ts: { name: string; sizeBytes: number },
  ctx: HealthContext,
  previous?: PreviousSizes,
): { bytesPerDay: number; basis: string } | null {
  const before = previous?.tablespaces.find((t) => t.name === ts.name)?.sizeBytes;
  const since = previous ? (ctx.now.getTime() - Date.parse(previous.at)) / DAY_MS : 0;
  if (before !== undefined && before !== null && since >= 1)
    return {
      bytesPerDay: (ts.sizeBytes - before) / since,
      basis: `较 ${previous!.at.slice(0, 10)} 的上次巡检（${formatBytes(before)}）`,
    };
  const year = ctx.env.tablespaces?.find((t) => t.name === ts.name)?.year;
  if (year === undefined) return null;
  const today = localDate(ctx.now, ctx.env.maintenance.timezone);
  if (year !== today.year) return { bytesPerDay: 0, basis: `${year} 年的表空间，本年不再写入` };
  const days = Math.max(1, (ctx.now.getTime() - Date.UTC(year, 0, 1)) / DAY_MS);
  return { bytesPerDay: ts.sizeBytes / days, basis: `${year} 年 1 月 1 日以来的平均增长` };
}

/** Free space of the disk holding `location`: measured here, or from the database host's mounts. */
function diskOf(
  ts: TablespaceFacts,
  facts: HealthFacts,
  ctx: HealthContext,
): { freeBytes: number; totalBytes: number; where: string } | { reason: string } {
  if (ts.disk) return { ...ts.disk, where: "本机" };
  if (!ts.location)
    return { reason: "不知道表空间所在目录（需要 pg_read_all_settings 角色读取 data_directory）" };
  if (!facts.hosts.ok) return { reason: `数据库服务器的磁盘未读取：${facts.hosts.reason}` };
  const host = facts.hosts.value.hosts.find((h) => h.address === ctx.env.database.host);
  if (!host)
    return {
      reason: `数据库在 ${ctx.env.database.host}，不是本栈由 Ansible 管理的服务器；在那里运行 df -h ${ts.location}`,
    };
  const mounts = host.health?.mounts;
  if (!mounts || sectionError(mounts)) return { reason: `${host.name} 的挂载点未读取` };
  const list = mounts as Exclude<typeof mounts, { error: string }>;
  const holding = list
    .filter(
      (m) =>
        ts.location === m.mount || ts.location!.startsWith(m.mount.endsWith("/") ? m.mount : `${m.mount}/`),
    )
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  if (!holding) return { reason: `${host.name} 上没有找到 ${ts.location} 所在的挂载点` };
  return {
    freeBytes: holding.availableBytes,
    totalBytes: holding.usedBytes + holding.availableBytes,
    where: `${host.name}:${holding.mount}`,
  };
}

export const dbTablespaceDays: HealthCheck = {
  id: "db.tablespace.days-until-full",
  area: "database",
  title: { zh: "表空间所在磁盘可用天数", en: "Days until a tablespace's disk is full" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.tablespaceDaysLeft;
    return withDatabase(facts, ctx, this.id, (db) =>
      db.tablespaces.map((ts) => {
        const id = this.id;
        if (ts.sizeBytes === null)
          return unknown(
            id,
            ts.name,
            "无权读取表空间大小（需要对其有 CREATE 权限或 pg_read_all_stats 角色）",
          );
        const disk = diskOf(ts, facts, ctx);
        if ("reason" in disk) return unknown(id, ts.name, disk.reason, `大小 ${formatBytes(ts.sizeBytes)}`);
        const growth = growthPerDay({ name: ts.name, sizeBytes: ts.sizeBytes }, ctx, ctx.previous);
        const room = `大小 ${formatBytes(ts.sizeBytes)}，磁盘（${disk.where}）可用 ${formatBytes(disk.freeBytes)} / ${formatBytes(disk.totalBytes)}`;
        if (!growth) return unknown(id, ts.name, "还没有增长速度：下次巡检与本次比较后得出", room);
        if (growth.bytesPerDay <= 0)
          return {
            id,
            target: ts.name,
            status: "ok" as const,
            value: null,
            threshold: asThreshold(limit),
            evidence: `${room}；不增长（${growth.basis}）`,
          };
        const days = Math.floor(disk.freeBytes / growth.bytesPerDay);
        const status = lowerIsWorse(days, limit);
        return {
          id,
          target: ts.name,
          status,
          value: days,
          unit: "天",
          threshold: asThreshold(limit),
          evidence: `${room}；每天增长约 ${formatBytes(growth.bytesPerDay)}（${growth.basis}）`,
          ...(status !== "ok"
            ? { advice: `在磁盘写满前扩容 ${disk.where}，或把旧年度表空间迁到其他磁盘` }
            : {}),
        };
      }),
    );
  },
};

export const dbConnections: HealthCheck = {
  id: "db.connections",
  area: "database",
  title: { zh: "连接数占比", en: "Connections in use" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.connectionsPercent;
    return withDatabase(facts, ctx, this.id, (db, target) => {
      const usable = Math.max(1, db.connections.max - db.connections.reserved);
      const percent = round((db.connections.used / usable) * 100);
      const status = higherIsWorse(percent, limit);
      return [
        {
          id: this.id,
          target,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `${db.connections.used} 个连接，上限 ${db.connections.max}（其中 ${db.connections.reserved} 个留给超级用户）`,
          ...(status !== "ok"
            ? { advice: "连接将满时新开票会失败：检查应用连接池设置和泄漏的连接，必要时调高 max_connections" }
            : {}),
        },
      ];
    });
  },
};

/** Sessions of other users this account cannot see make "none found" unprovable. */
function invisible(db: DatabaseFacts, id: string, target: string, user: string): CheckResult | null {
  return db.invisibleSessions > 0
    ? unknown(
        id,
        target,
        `有 ${db.invisibleSessions} 个其他用户的会话看不到状态：给数据库用户授予 pg_monitor 角色（GRANT pg_monitor TO ${user}）`,
      )
    : null;
}

function sessionWords(s: DatabaseFacts["sessions"][number]): string {
  return `pid ${s.pid}（${s.user ?? "?"}，${s.application || "未命名应用"}${s.client ? `，来自 ${s.client}` : ""}，${s.state ?? "?"}）`;
}

/** The oldest of some sessions by an age, judged against a limit in seconds. */
function oldestSession(
  id: string,
  db: DatabaseFacts,
  target: string,
  user: string,
  limit: { warn: number; fail: number },
  pick: (s: DatabaseFacts["sessions"][number]) => number | null,
  words: { none: string; found: string; advice: string },
): CheckResult[] {
  const aged = db.sessions
    .map((s) => ({ s, age: pick(s) }))
    .filter((x): x is { s: DatabaseFacts["sessions"][number]; age: number } => x.age !== null)
    .sort((a, b) => b.age - a.age);
  const oldest = aged[0];
  if (!oldest) {
    const hidden = invisible(db, id, target, user);
    if (hidden) return [hidden];
    return [
      { id, target, status: "ok", value: 0, unit: "秒", threshold: asThreshold(limit), evidence: words.none },
    ];
  }
  const status = higherIsWorse(oldest.age, limit);
  if (status === "ok") {
    const hidden = invisible(db, id, target, user);
    if (hidden) return [hidden];
  }
  return [
    {
      id,
      target,
      status,
      value: Math.round(oldest.age),
      unit: "秒",
      threshold: asThreshold(limit),
      evidence: `${words.found}：最长 ${formatSeconds(oldest.age)}，${sessionWords(oldest.s)}；共 ${aged.length} 个`,
      ...(status !== "ok" ? { advice: words.advice } : {}),
    },
  ];
}

export const dbLongTransactions: HealthCheck = {
  id: "db.transactions.long",
  area: "database",
  title: { zh: "长事务", en: "Long open transactions" },
  quick: true,
  evaluate(facts, ctx) {
    return withDatabase(facts, ctx, this.id, (db, target) =>
      oldestSession(
        this.id,
        db,
        target,
        ctx.env.database.user,
        ctx.thresholds.longTransactionSeconds,
        (s) => s.transactionSeconds,
        {
          none: "没有打开的事务",
          found: "打开的事务",
          advice:
            "长事务持有锁并阻碍清理：找到该会话的程序（application_name、来源地址）确认后提交或结束（pg_terminate_backend）",
        },
      ),
    );
  },
};

export const dbIdleInTransaction: HealthCheck = {
  id: "db.idle-in-transaction",
  area: "database",
  title: { zh: "事务中空闲的会话", en: "Sessions idle in a transaction" },
  quick: true,
  evaluate(facts, ctx) {
    return withDatabase(facts, ctx, this.id, (db, target) =>
      oldestSession(
        this.id,
        db,
        target,
        ctx.env.database.user,
        ctx.thresholds.idleInTransactionSeconds,
        (s) => (s.state?.startsWith("idle in transaction") ? s.stateSeconds : null),
        {
          none: "没有在事务中空闲的会话",
          found: "在事务中空闲的会话",
          advice: "程序开启事务后没有提交：检查该程序的事务处理；可设 idle_in_transaction_session_timeout",
        },
      ),
    );
  },
};

export const dbLockWaits: HealthCheck = {
  id: "db.locks.waiting",
  area: "database",
  title: { zh: "锁等待", en: "Sessions waiting for a lock" },
  quick: true,
  evaluate(facts, ctx) {
    return withDatabase(facts, ctx, this.id, (db, target) =>
      oldestSession(
        this.id,
        db,
        target,
        ctx.env.database.user,
        ctx.thresholds.lockWaitSeconds,
        (s) => (s.waitingForLock ? s.statementSeconds : null),
        {
          none: "没有等待锁的会话",
          found: "等待锁的会话",
          advice: "有会话在等锁，开票可能卡住：用 pg_blocking_pids() 找到持锁的会话并处理",
        },
      ),
    );
  },
};

/** Bill tables with too few rows for a dead-row share to mean anything. */
const SMALL_TABLE_ROWS = 1000;

export const dbDeadTuples: HealthCheck = {
  id: "db.vacuum.dead-tuples",
  area: "database",
  title: { zh: "票据表死元组比例", en: "Dead rows in the bill tables" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.deadTuplePercent;
    return withDatabase(facts, ctx, this.id, (db) =>
      db.tables.map((t) => {
        const rows = t.liveRows + t.deadRows;
        if (rows < SMALL_TABLE_ROWS)
          return {
            id: this.id,
            target: t.name,
            status: "ok" as const,
            value: rows === 0 ? 0 : round((t.deadRows / rows) * 100),
            unit: "%",
            evidence: `${t.liveRows} 行有效、${t.deadRows} 行死元组：表小，不影响性能`,
          };
        const percent = round((t.deadRows / rows) * 100);
        const status = higherIsWorse(percent, limit);
        return {
          id: this.id,
          target: t.name,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `${t.liveRows} 行有效、${t.deadRows} 行死元组`,
          ...(status !== "ok"
            ? {
                advice: `自动清理跟不上：在业务低峰运行 VACUUM (ANALYZE) ${t.name}，并检查是否有长事务阻碍清理`,
              }
            : {}),
        };
      }),
    );
  },
};

const latest = (...times: (string | null)[]): Date | null => {
  const ms = times.filter((t): t is string => t !== null).map((t) => Date.parse(t));
  return ms.length > 0 ? new Date(Math.max(...ms)) : null;
};

export const dbVacuumAge: HealthCheck = {
  id: "db.vacuum.last",
  area: "database",
  title: { zh: "票据表最近 vacuum/analyze", en: "Last (auto)vacuum and analyze of the bill tables" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.vacuumAgeDays;
    return withDatabase(facts, ctx, this.id, (db) =>
      db.tables.map((t) => {
        const analyzed = latest(t.lastAnalyze, t.lastAutoanalyze);
        const vacuumed = latest(t.lastVacuum, t.lastAutovacuum);
        const when = `最近 analyze ${analyzed?.toISOString().slice(0, 16).replace("T", " ") ?? "从未"}，vacuum ${vacuumed?.toISOString().slice(0, 16).replace("T", " ") ?? "从未"}（UTC）`;
        // A table that barely changed needs neither: nothing to judge.
        if (t.modifiedSinceAnalyze < Math.max(50, t.liveRows * 0.1))
          return {
            id: this.id,
            target: t.name,
            status: "ok" as const,
            value: null,
            evidence: `${when}；此后仅 ${t.modifiedSinceAnalyze} 行变化`,
          };
        if (!analyzed)
          return {
            id: this.id,
            target: t.name,
            status: "warn" as const,
            value: null,
            threshold: asThreshold(limit),
            evidence: `${when}；已有 ${t.modifiedSinceAnalyze} 行变化`,
            advice: `从未统计过：运行 ANALYZE ${t.name}，并确认 autovacuum 已开启`,
          };
        const days = round(Math.max(0, ctx.now.getTime() - analyzed.getTime()) / DAY_MS);
        const status = higherIsWorse(days, limit);
        return {
          id: this.id,
          target: t.name,
          status,
          value: days,
          unit: "天",
          threshold: asThreshold(limit),
          evidence: `${when}；此后 ${t.modifiedSinceAnalyze} 行变化`,
          ...(status !== "ok"
            ? { advice: `统计信息过旧会让查询变慢：运行 VACUUM (ANALYZE) ${t.name}，检查 autovacuum 设置` }
            : {}),
        };
      }),
    );
  },
};

export const dbXidAge: HealthCheck = {
  id: "db.xid.age",
  area: "database",
  title: { zh: "事务号回卷年龄", en: "Transaction-ID wraparound age" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.xidAge;
    return withDatabase(facts, ctx, this.id, (db, target) => {
      const status = higherIsWorse(db.xid.age, limit);
      return [
        {
          id: this.id,
          target,
          status,
          value: db.xid.age,
          threshold: asThreshold(limit),
          evidence: `最老的是库 ${db.xid.database}：age(datfrozenxid) = ${db.xid.age}（约 21 亿时数据库停止写入）`,
          ...(status !== "ok"
            ? { advice: `在低峰对 ${db.xid.database} 运行 VACUUM (FREEZE)，并查找阻碍冻结的长事务与复制槽` }
            : {}),
        },
      ];
    });
  },
};

const monthDay = (d: { month: number; day: number }) =>
  `${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

export const dbNextYearPartitions: HealthCheck = {
  id: "db.partitions.next-year",
  area: "database",
  title: { zh: "下一年度分区已建", en: "Next year's partitions present" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.nextYearPartitions;
    const today = localDate(ctx.now, ctx.env.maintenance.timezone);
    const next = today.year + 1;
    const day = monthDay(today);
    return withDatabase(facts, ctx, this.id, (db) =>
      PARTITIONED_TABLES.map((table) => {
        const target = `${table}_${next}`;
        const found = db.partitions.find((p) => p.table === table && p.years.includes(next));
        if (found)
          return {
            id: this.id,
            target,
            status: "ok" as const,
            value: true,
            evidence: `${found.partition} 已存在`,
          };
        const status = day >= limit.fail ? "fail" : day >= limit.warn ? "warn" : "ok";
        return {
          id: this.id,
          target,
          status,
          value: false,
          threshold: { warn: limit.warn, fail: limit.fail },
          evidence:
            status === "ok"
              ? `${next} 年分区尚未建立；自 ${limit.warn} 起检查（今天 ${day}）`
              : `${next} 年分区不存在（今天 ${day}）：1 月 1 日起的票据将无法保存`,
          ...(status !== "ok"
            ? {
                advice: `运行 ebill-ops rollover prepare --stack ${ctx.env.name} --year ${next}，审核合并后 apply（见年结文档）`,
              }
            : {}),
        };
      }),
    );
  },
};

/**
 * The latest backup's age against maintenance.backup.maxAgeHours (twice as old: fail), and the
 * last verification: a backup is only known good once it was restored (backup verify).
 */
export const dbBackupAge: HealthCheck = {
  id: "db.backup.age",
  area: "database",
  title: { zh: "最近一次备份距今", en: "Age of the latest backup" },
  quick: false,
  evaluate(facts, ctx) {
    const target = databaseTarget(ctx);
    const settings = ctx.env.maintenance.backup;
    if (!settings)
      return [
        unknown(
          this.id,
          target,
          "栈中未声明备份（maintenance.backup）：声明后由 ebill-ops 备份并在巡检中测量；在此之前请人工确认备份",
        ),
      ];
    if (!facts.backups) return [unknown(this.id, target, "本次未读取备份（快速检查不读取）")];
    if (!facts.backups.ok)
      return [unknown(this.id, target, `无法读取备份主机 ${settings.host}：${facts.backups.reason}`)];
    const { latest, lastVerification } = facts.backups.value;
    const advice = `运行 ebill-ops backup run --stack ${ctx.env.name}，并检查 ${settings.host} 上的定时备份（ebill_backup）`;
    if (!latest)
      return [
        {
          id: this.id,
          target,
          status: "fail",
          value: null,
          evidence: `${settings.host} 上没有任何备份`,
          advice,
        },
      ];
    const hours = round((ctx.now.getTime() - new Date(latest.takenAt).getTime()) / 3_600_000, 1);
    const threshold = { warn: settings.maxAgeHours, fail: settings.maxAgeHours * 2 };
    let status = higherIsWorse(hours, threshold);
    const verified = lastVerification
      ? `最近一次恢复验证 ${lastVerification.at.slice(0, 16).replace("T", " ")}（备份 ${lastVerification.id}）：${lastVerification.restorable ? "可恢复" : "不可恢复"}`
      : "从未做过恢复验证";
    if (!lastVerification && status === "ok") status = "warn";
    if (lastVerification && !lastVerification.restorable) status = "fail";
    return [
      {
        id: this.id,
        target,
        status,
        value: hours,
        unit: "h",
        threshold: asThreshold(threshold),
        evidence: `最近一次备份 ${latest.id}，距今 ${hours} 小时；${verified}`,
        ...(status !== "ok"
          ? {
              advice:
                lastVerification?.restorable === false || !lastVerification
                  ? `运行 ebill-ops backup verify --stack ${ctx.env.name}，不可恢复时立即重新备份并查明原因`
                  : advice,
            }
          : {}),
      },
    ];
  },
};

export const DATABASE_CHECKS: HealthCheck[] = [
  dbReachable,
  dbSize,
  dbTablespaceDays,
  dbConnections,
  dbLongTransactions,
  dbIdleInTransaction,
  dbLockWaits,
  dbDeadTuples,
  dbVacuumAge,
  dbXidAge,
  dbNextYearPartitions,
  dbBackupAge,
];
