/**
 * Checks of the servers, judged from the one Ansible run's facts (tasks/ansible/inspect.yml): each
 * a small named function with a stable id, one result per host (or per mount, per service).
 */
import type { Check, CheckResult } from "./types.ts";
import type { HealthFacts, HostFacts, HostHealth } from "./facts.ts";
import { sectionError } from "./facts.ts";
import {
  asThreshold,
  formatBytes,
  higherIsWorse,
  lowerIsWorse,
  round,
  unknown,
  type HealthContext,
} from "./judge.ts";

export type HealthCheck = Check<HealthFacts, HealthContext>;

/** All hosts as one target, when the Ansible run itself could not be made. */
export const ALL_HOSTS = "全部服务器";

/**
 * Runs `judge` for every host that answered; a host that did not answer, or facts that could not
 * be gathered at all, give `unknown` with the reason (host.reachable is the check that fails then).
 */
function perHost(
  facts: HealthFacts,
  id: string,
  judge: (host: HostFacts, health: HostHealth) => CheckResult[],
): CheckResult[] {
  if (!facts.hosts.ok) return [unknown(id, ALL_HOSTS, facts.hosts.reason)];
  return facts.hosts.value.hosts.flatMap((host) =>
    host.answered && host.health
      ? judge(host, host.health)
      : [unknown(id, host.name, `服务器未应答（见 host.reachable）：${host.reason ?? "无应答"}`)],
  );
}

/** A section of the module's answer, or an unknown result naming why it is missing. */
function sectionOr<T>(
  id: string,
  target: string,
  section: T | { error: string } | undefined,
  what: string,
): { value: T } | { result: CheckResult } {
  if (section === undefined) return { result: unknown(id, target, `${what}：本次未测量`) };
  const error = sectionError(section);
  if (error) return { result: unknown(id, target, `${what}读取失败：${error}`) };
  return { value: section as T };
}

export const hostReachable: HealthCheck = {
  id: "host.reachable",
  area: "host",
  title: { zh: "服务器可连接（SSH）", en: "Host answers over SSH" },
  quick: true,
  evaluate(facts) {
    if (!facts.hosts.ok) return [unknown(this.id, ALL_HOSTS, facts.hosts.reason)];
    return facts.hosts.value.hosts.map((host) =>
      host.answered
        ? {
            id: this.id,
            target: host.name,
            status: "ok",
            value: true,
            evidence: `${host.address} 经 SSH 应答`,
          }
        : {
            id: this.id,
            target: host.name,
            status: "fail",
            value: false,
            evidence: `${host.address} 未应答：${host.reason ?? "无应答"}`,
            advice: "检查服务器是否开机、网络是否连通、SSH 服务是否运行、运维账号密钥是否有效",
          },
    );
  },
};

export const hostLoad: HealthCheck = {
  id: "host.load.per-core",
  area: "host",
  title: { zh: "每核负载（15 分钟平均）", en: "15-minute load per CPU core" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.loadPerCore;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.load, "负载");
      if ("result" in s) return [s.result];
      const perCore = round(s.value.load15 / Math.max(1, s.value.cores), 2);
      const status = higherIsWorse(perCore, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: perCore,
          threshold: asThreshold(limit),
          evidence: `负载 ${s.value.load1} / ${s.value.load5} / ${s.value.load15}（1/5/15 分钟），${s.value.cores} 核`,
          ...(status !== "ok" ? { advice: "查看占用 CPU 的进程（top），必要时扩容或错开批量任务" } : {}),
        },
      ];
    });
  },
};

export const hostMemory: HealthCheck = {
  id: "host.memory.available",
  area: "host",
  title: { zh: "可用内存", en: "Memory available" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.memoryAvailablePercent;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.memory, "内存");
      if ("result" in s) return [s.result];
      const { totalBytes, availableBytes } = s.value;
      if (totalBytes <= 0) return [unknown(this.id, host.name, "内存总量为 0，无法计算")];
      const percent = round((availableBytes / totalBytes) * 100);
      const status = lowerIsWorse(percent, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `可用 ${formatBytes(availableBytes)}，共 ${formatBytes(totalBytes)}`,
          ...(status !== "ok"
            ? { advice: "查看占用内存的进程，检查 JVM 堆设置（app.jvm），必要时加内存" }
            : {}),
        },
      ];
    });
  },
};

export const hostSwap: HealthCheck = {
  id: "host.swap.used",
  area: "host",
  title: { zh: "交换分区使用率", en: "Swap in use" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.swapUsedPercent;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.memory, "内存");
      if ("result" in s) return [s.result];
      const { swapTotalBytes, swapFreeBytes } = s.value;
      if (swapTotalBytes === 0)
        return [
          { id: this.id, target: host.name, status: "ok", value: 0, unit: "%", evidence: "未配置交换分区" },
        ];
      const percent = round(((swapTotalBytes - swapFreeBytes) / swapTotalBytes) * 100);
      const status = higherIsWorse(percent, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `已用 ${formatBytes(swapTotalBytes - swapFreeBytes)}，共 ${formatBytes(swapTotalBytes)}`,
          ...(status !== "ok" ? { advice: "内存不足导致换页：查看占用内存的进程，必要时加内存" } : {}),
        },
      ];
    });
  },
};

/** Used share of a file system as df prints it: used / (used + available to users), rounded up. */
export function dfPercent(used: number, available: number): number {
  const total = used + available;
  return total <= 0 ? 0 : Math.ceil((used / total) * 100);
}

export const hostDisk: HealthCheck = {
  id: "host.disk.used",
  area: "host",
  title: { zh: "磁盘使用率", en: "Disk space used per mount" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.diskUsedPercent;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.mounts, "挂载点");
      if ("result" in s) return [s.result];
      return s.value.map((m) => {
        const percent = dfPercent(m.usedBytes, m.availableBytes);
        const status = higherIsWorse(percent, limit);
        return {
          id: this.id,
          target: `${host.name}:${m.mount}`,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `已用 ${formatBytes(m.usedBytes)}，可用 ${formatBytes(m.availableBytes)}（${m.device}，${m.fstype}）`,
          ...(status !== "ok"
            ? { advice: `清理 ${m.mount} 下的旧日志和临时文件（du -xh ${m.mount} | sort -h），或扩容该卷` }
            : {}),
        };
      });
    });
  },
};

export const hostInodes: HealthCheck = {
  id: "host.inode.used",
  area: "host",
  title: { zh: "inode 使用率", en: "Inodes used per mount" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.inodeUsedPercent;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.mounts, "挂载点");
      if ("result" in s) return [s.result];
      return s.value.map((m) => {
        const target = `${host.name}:${m.mount}`;
        if (m.inodes === null || m.inodesUsed === null)
          return {
            id: this.id,
            target,
            status: "ok" as const,
            value: null,
            evidence: `${m.fstype} 不使用固定 inode 表，无 inode 上限`,
          };
        const percent = Math.ceil((m.inodesUsed / m.inodes) * 100);
        const status = higherIsWorse(percent, limit);
        return {
          id: this.id,
          target,
          status,
          value: percent,
          unit: "%",
          threshold: asThreshold(limit),
          evidence: `已用 ${m.inodesUsed} / ${m.inodes} 个 inode`,
          ...(status !== "ok"
            ? {
                advice: `${m.mount} 下小文件过多（常见于会话或缓存目录）：找到并清理（find ${m.mount} -xdev -type f | cut -d/ -f2,3 | sort | uniq -c）`,
              }
            : {}),
        };
      });
    });
  },
};

export const hostRebootRequired: HealthCheck = {
  id: "host.reboot.required",
  area: "host",
  title: { zh: "是否需要重启", en: "Reboot required" },
  quick: false,
  evaluate(facts) {
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.rebootRequired, "重启检查");
      if ("result" in s) return [s.result];
      return [
        s.value.required
          ? {
              id: this.id,
              target: host.name,
              status: "warn",
              value: true,
              evidence: "已安装的更新（内核、glibc 等）需要重启后才生效",
              advice: "在变更窗口内重启（ebill-ops patch 会在允许时自动重启）",
            }
          : { id: this.id, target: host.name, status: "ok", value: false, evidence: "无需重启" },
      ];
    });
  },
};

export const hostSecurityUpdates: HealthCheck = {
  id: "host.updates.security",
  area: "host",
  title: { zh: "待安装的安全更新", en: "Pending security updates" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.securityUpdates;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.securityUpdates, "安全更新列表");
      if ("result" in s) return [s.result];
      const status = higherIsWorse(s.value.count, limit);
      const shown = s.value.packages.slice(0, 8).join(", ");
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: s.value.count,
          threshold: asThreshold(limit),
          evidence:
            s.value.count === 0
              ? "无待安装的安全更新"
              : `${s.value.count} 个：${shown}${s.value.count > 8 ? " 等" : ""}`,
          ...(status !== "ok" ? { advice: `在变更窗口内运行 ebill-ops patch --stack ${ctx.env.name}` } : {}),
        },
      ];
    });
  },
};

/**
 * The offset a host's clock has at least: chrony's own measurement when it runs, else the host's
 * time against this machine's while the task was under way (between sending it and having every
 * answer), which bounds the true offset on both sides.
 */
export function clockOffset(
  clock: { hostTime: number; offsetFromController?: number; chrony?: { offset: number; source: string } },
  answeredBy?: number,
): { seconds: number; how: string } | null {
  if (clock.chrony)
    return {
      seconds: Math.abs(clock.chrony.offset),
      how: `chrony 与时间源 ${clock.chrony.source} 相差 ${round(clock.chrony.offset, 3)} 秒`,
    };
  if (clock.offsetFromController === undefined) return null;
  // The host read its clock after the task was sent and before every answer was in: the true
  // offset lies between "host time - time sent" and "host time - time all answered".
  const high = clock.offsetFromController;
  const low = answeredBy !== undefined ? Math.min(high, clock.hostTime - answeredBy) : high;
  const seconds = low <= 0 && high >= 0 ? 0 : Math.min(Math.abs(low), Math.abs(high));
  return {
    seconds: round(seconds, 2),
    how: `未运行 chrony；与巡检机时钟相差 ${round(low, 2)} 至 ${round(high, 2)} 秒（含任务传输时间）`,
  };
}

export const hostClock: HealthCheck = {
  id: "host.clock.offset",
  area: "host",
  title: { zh: "时钟偏差", en: "Clock offset" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.clockOffsetSeconds;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.clock, "时钟");
      if ("result" in s) return [s.result];
      const offset = clockOffset(s.value, host.answeredBy);
      if (!offset) return [unknown(this.id, host.name, "未运行 chrony，也没有巡检机的时间可比")];
      const status = higherIsWorse(offset.seconds, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: offset.seconds,
          unit: "秒",
          threshold: asThreshold(limit),
          evidence: offset.how + (s.value.chronyError ? `（chronyc：${s.value.chronyError}）` : ""),
          ...(status !== "ok"
            ? { advice: "票据签名带时间：检查时间同步服务（chronyc sources）与 NTP 服务器的连通" }
            : {}),
        },
      ];
    });
  },
};

export const hostSshd: HealthCheck = {
  id: "host.sshd.hardening",
  area: "host",
  title: { zh: "SSH 加固配置仍然生效", en: "sshd hardening in place" },
  quick: true,
  evaluate(facts, ctx) {
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.sshd, "sshd 配置（sshd -T）");
      if ("result" in s) return [s.result];
      const differ = Object.entries(s.value.expected).filter(([k, v]) => (s.value.actual[k] ?? "") !== v);
      return [
        differ.length === 0
          ? {
              id: this.id,
              target: host.name,
              status: "ok",
              value: 0,
              evidence: `sshd -T 与基线一致（${Object.keys(s.value.expected).length} 项）`,
            }
          : {
              id: this.id,
              target: host.name,
              status: "fail",
              value: differ.length,
              evidence: differ
                .map(([k, v]) => `${k} 为 ${s.value.actual[k] ?? "（未设置）"}，应为 ${v}`)
                .join("；"),
              advice: `SSH 加固被改动：查明原因后运行 ebill-ops plan/apply --stack ${ctx.env.name} 恢复基线`,
            },
      ];
    });
  },
};

export const hostFailedLogins: HealthCheck = {
  id: "host.ssh.failed-logins",
  area: "host",
  title: { zh: "SSH 登录失败次数（24 小时）", en: "Failed SSH logins in 24 hours" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.failedSshLogins;
    return perHost(facts, this.id, (host, h) => {
      const s = sectionOr(this.id, host.name, h.failedLogins, "SSH 登录日志");
      if ("result" in s) return [s.result];
      const status = higherIsWorse(s.value.count, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: s.value.count,
          threshold: asThreshold(limit),
          evidence: `${s.value.hours} 小时内 ${s.value.count} 次（来源 ${s.value.source}）`,
          ...(status !== "ok"
            ? { advice: "查看来源地址（lastb 或 SSH 日志）：可能有人在猜密码，确认防火墙只放行运维网段" }
            : {}),
        },
      ];
    });
  },
};

export const hostServices: HealthCheck = {
  id: "host.service.active",
  area: "host",
  title: { zh: "服务运行状态", en: "Services active" },
  quick: true,
  evaluate(facts) {
    return perHost(facts, this.id, (host, h) =>
      h.services.map((service, i) => {
        const error = sectionError(service);
        if (error) return unknown(this.id, `${host.name}:服务${i + 1}`, `服务状态读取失败：${error}`);
        const s = service as Exclude<typeof service, { error: string }>;
        return s.active
          ? {
              id: this.id,
              target: `${host.name}:${s.name}`,
              status: "ok" as const,
              value: true,
              evidence: `${s.how}：运行中`,
            }
          : {
              id: this.id,
              target: `${host.name}:${s.name}`,
              status: "fail" as const,
              value: false,
              evidence: `${s.how}：未运行（${s.detail}）`,
              advice: `启动 ${s.name} 并查看其日志找出停止原因`,
            };
      }),
    );
  },
};

export const HOST_CHECKS: HealthCheck[] = [
  hostReachable,
  hostLoad,
  hostMemory,
  hostSwap,
  hostDisk,
  hostInodes,
  hostRebootRequired,
  hostSecurityUpdates,
  hostClock,
  hostSshd,
  hostFailedLogins,
  hostServices,
];
