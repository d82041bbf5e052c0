/**
 * Checks of the e-bill service (application and middleware), judged from the app hosts' facts: its
 * health endpoint answered on the host itself, the version it reports, errors in its log.
 */
import type { CheckResult } from "./types.ts";
import type { HealthFacts, HostFacts, HostHealth } from "./facts.ts";
import { sectionError } from "./facts.ts";
import { ALL_HOSTS, type HealthCheck } from "./host-checks.ts";
import { asThreshold, higherIsWorse, unknown } from "./judge.ts";

/** Every app host that answered; others are unknown with the reason. */
function perAppHost(
  facts: HealthFacts,
  id: string,
  judge: (host: HostFacts, health: HostHealth) => CheckResult[],
): CheckResult[] {
  if (!facts.hosts.ok) return [unknown(id, ALL_HOSTS, facts.hosts.reason)];
  const apps = facts.hosts.value.hosts.filter((h) => h.roles.includes("app"));
  if (apps.length === 0) return [unknown(id, "app", "栈中没有由 Ansible 管理的 app 服务器")];
  return apps.flatMap((host) =>
    host.answered && host.health
      ? judge(host, host.health)
      : [unknown(id, host.name, `服务器未应答（见 host.reachable）：${host.reason ?? "无应答"}`)],
  );
}

/** The health endpoint's answer of an app host (no answer at all is an answer too: status null). */
function perHealthAnswer(
  facts: HealthFacts,
  id: string,
  judge: (host: HostFacts, answer: AppHealth) => CheckResult[],
): CheckResult[] {
  return perAppHost(facts, id, (host, health) => {
    if (!health.appHealth) return [unknown(id, host.name, "本次未读取健康检查")];
    const error = sectionError(health.appHealth);
    if (error) return [unknown(id, host.name, `健康检查读取失败：${error}`)];
    return judge(host, health.appHealth as AppHealth);
  });
}

type AppHealth = Exclude<NonNullable<HostHealth["appHealth"]>, { error: string }>;

export const appHealth: HealthCheck = {
  id: "app.health",
  area: "application",
  title: { zh: "电子票据服务健康检查", en: "E-bill service health endpoint" },
  quick: true,
  evaluate(facts) {
    return perHealthAnswer(facts, this.id, (host, h) => {
      if (h.status === 200)
        return [
          {
            id: this.id,
            target: host.name,
            status: "ok",
            value: 200,
            evidence: `${h.url} 应答 HTTP 200「${h.body ?? ""}」`,
          },
        ];
      return [
        {
          id: this.id,
          target: host.name,
          status: "fail",
          value: h.status,
          threshold: { fail: "非 200" },
          evidence:
            h.status === null
              ? `${h.url} 无应答：${h.failure ?? ""}`
              : `${h.url} 应答 HTTP ${h.status}「${h.body ?? ""}」`,
          advice: "电子票据服务不可用，收费窗口无法开票：查看服务日志（logs/），重启服务，必要时联系厂商",
        },
      ];
    });
  },
};

export const appLatency: HealthCheck = {
  id: "app.latency",
  area: "application",
  title: { zh: "健康检查响应时间", en: "Health endpoint answer time" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.appLatencyMs;
    return perHealthAnswer(facts, this.id, (host, h) => {
      if (h.status === null)
        return [unknown(this.id, host.name, "服务无应答，没有响应时间（见 app.health）")];
      const status = higherIsWorse(h.ms, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: h.ms,
          unit: "ms",
          threshold: asThreshold(limit),
          evidence: `本机请求 ${h.url} 用时 ${h.ms} ms`,
          ...(status !== "ok" ? { advice: "服务响应慢：查看 JVM 内存与 GC、数据库锁等待和连接数" } : {}),
        },
      ];
    });
  },
};

/** The version a health answer carries ("UP 1.0.3"), or null when it names none. */
export function versionIn(body: string | undefined): string | null {
  return /\b(\d+\.\d+(?:\.\d+)*(?:[-.][A-Za-z0-9]+)*)\b/.exec(body ?? "")?.[1] ?? null;
}

export const appVersion: HealthCheck = {
  id: "app.version",
  area: "application",
  title: { zh: "运行版本与声明一致", en: "Running version equals the declared one" },
  quick: true,
  evaluate(facts, ctx) {
    const declared = ctx.env.app.version;
    return perHealthAnswer(facts, this.id, (host, h) => {
      const running = versionIn(h.body);
      if (h.status === null || running === null)
        return [
          unknown(
            this.id,
            host.name,
            h.status === null ? "服务无应答（见 app.health）" : `健康检查应答「${h.body ?? ""}」中没有版本号`,
          ),
        ];
      return [
        running === declared
          ? {
              id: this.id,
              target: host.name,
              status: "ok",
              value: running,
              evidence: `运行 ${running}，声明 ${declared}`,
            }
          : {
              id: this.id,
              target: host.name,
              status: "warn",
              value: running,
              threshold: { warn: `≠ ${declared}` },
              evidence: `运行 ${running}，栈中声明 ${declared}`,
              advice: "版本被绕过流水线升级或回退：确认后在栈中更新 app.version，或经 apply 装回声明的版本",
            },
      ];
    });
  },
};

export const appLogErrors: HealthCheck = {
  id: "app.log.errors",
  area: "application",
  title: { zh: "应用日志错误数（24 小时）", en: "Errors in the service log in 24 hours" },
  quick: false,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.appLogErrors;
    return perAppHost(facts, this.id, (host, all) => {
      if (!all.appLog) return [unknown(this.id, host.name, "本次未读取应用日志")];
      const error = sectionError(all.appLog);
      if (error) return [unknown(this.id, host.name, `应用日志读取失败：${error}`)];
      const log = all.appLog as Exclude<typeof all.appLog, { error: string }>;
      if (log.files.length === 0)
        return [
          {
            id: this.id,
            target: host.name,
            status: "ok",
            value: 0,
            threshold: asThreshold(limit),
            evidence: `${log.dir} 下 ${log.hours} 小时内没有写过的日志文件`,
          },
        ];
      const status = higherIsWorse(log.errors, limit);
      return [
        {
          id: this.id,
          target: host.name,
          status,
          value: log.errors,
          threshold: asThreshold(limit),
          evidence:
            `${log.files.length} 个日志文件中 ${log.errors} 行 ERROR/Exception` +
            (log.samples.length > 0 ? `，例如「${log.samples[0]}」` : ""),
          ...(status !== "ok" ? { advice: `查看 ${log.dir} 中的错误，按类型归类后处理或报厂商` } : {}),
        },
      ];
    });
  },
};

export const APPLICATION_CHECKS: HealthCheck[] = [appHealth, appLatency, appVersion, appLogErrors];
