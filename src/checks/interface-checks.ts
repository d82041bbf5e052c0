/**
 * Checks of the interfaces the e-bill service depends on. HIS, fiscal platform and push are probed
 * from here by the one probe module (src/probe/probe.ts: a sandbox stack's probe never leaves
 * the machine, and only a verified answer counts); the signature server is probed from the app
 * hosts, which are the ones that must reach it (the host facts' `signature` section).
 */
import type { ProbeResult } from "../probe/probe.ts";
import { SERVICE_NAME } from "../probe/service-target.ts";
import type { CheckResult } from "./types.ts";
import type { HealthFacts, HostHealth } from "./facts.ts";
import { sectionError } from "./facts.ts";
import { ALL_HOSTS, type HealthCheck } from "./host-checks.ts";
import {
  asThreshold,
  higherIsWorse,
  lowerIsWorse,
  unknown,
  type HealthContext,
  type Limit,
} from "./judge.ts";

/** The interfaces probed from here: the check id's part, the probe's name, and the name people use. */
export const PROBED_INTERFACES = [
  { key: "service", probe: SERVICE_NAME, zh: "医疗电子票据服务（院内）" },
  { key: "his", probe: "HIS", zh: "HIS（院方业务系统）" },
  { key: "fiscal", probe: "fiscal platform", zh: "财政电子票据平台" },
  { key: "push", probe: "push", zh: "票据推送服务" },
] as const;

type Probed = (typeof PROBED_INTERFACES)[number];

const DAY_MS = 86_400_000;

/** Whole days from `now` until a certificate's end date (negative: expired). */
export function daysUntil(end: Date, now: Date): number {
  return Math.floor((end.getTime() - now.getTime()) / DAY_MS);
}

/** The probe of an interface; or no result when the stack does not declare it (push is optional); or unknown. */
function probeOf(facts: HealthFacts, iface: Probed, id: string): ProbeResult | { results: CheckResult[] } {
  if (!facts.interfaces.ok) return { results: [unknown(id, iface.probe, facts.interfaces.reason)] };
  const found = facts.interfaces.value.probes.find((p) => p.name === iface.probe);
  return found ?? { results: [] };
}

function reachable(iface: Probed): HealthCheck {
  const id = `iface.${iface.key}.reachable`;
  return {
    id,
    area: "interface",
    title: { zh: `${iface.zh}可达且验证为本服务`, en: `${iface.probe} reachable and verified` },
    quick: true,
    evaluate(facts) {
      const p = probeOf(facts, iface, id);
      if ("results" in p) return p.results;
      const base = { id, target: p.url };
      const took = `${p.ms} ms，经 ${p.via}`;
      switch (p.verdict) {
        case "verified":
          return [{ ...base, status: "ok", value: true, evidence: `已验证：${p.evidence}（${took}）` }];
        case "failing":
          return [
            {
              ...base,
              status: "fail",
              value: false,
              evidence: `${p.evidence}（${took}）`,
              advice: `${iface.zh}报告服务器错误：联系对方确认服务状态`,
            },
          ];
        case "unreachable":
          return [
            {
              ...base,
              status: "fail",
              value: false,
              evidence: `无应答（${p.layer}）：${p.evidence}`,
              advice: `检查${iface.zh}是否运行、网络路径与防火墙，以及栈中的地址`,
            },
          ];
        case "not-verified":
          return p.proofAsked
            ? [
                {
                  ...base,
                  status: "fail",
                  value: false,
                  evidence: `应答的不是该服务：${p.evidence}`,
                  advice: "检查栈中的地址、appid 与 app key（签名不符或证书不受信任）",
                },
              ]
            : [
                unknown(
                  id,
                  p.url,
                  `有应答，但无法证明是${iface.zh}本身：${p.evidence}`,
                  `HTTP ${p.status ?? "?"}，${took}`,
                ),
              ];
        case "not-probed":
          return [unknown(id, p.url, `未探测：${p.evidence}`)];
      }
    },
  };
}

function latency(iface: Probed): HealthCheck {
  const id = `iface.${iface.key}.latency`;
  return {
    id,
    area: "interface",
    title: { zh: `${iface.zh}响应时间`, en: `${iface.probe} answer time` },
    quick: true,
    evaluate(facts, ctx) {
      const p = probeOf(facts, iface, id);
      if ("results" in p) return p.results;
      if (p.verdict === "unreachable" || p.verdict === "not-probed")
        return [unknown(id, p.url, `没有应答，无响应时间（见 iface.${iface.key}.reachable）`)];
      const limit = ctx.thresholds.interfaceLatencyMs;
      const status = higherIsWorse(p.ms, limit);
      return [
        {
          id,
          target: p.url,
          status,
          value: p.ms,
          unit: "ms",
          threshold: asThreshold(limit),
          evidence: `一次请求用时 ${p.ms} ms（经 ${p.via}）`,
          ...(status !== "ok" ? { advice: `${iface.zh}响应慢会拖慢开票：查看网络延迟与对方负载` } : {}),
        },
      ];
    },
  };
}

function tlsDaysLeft(iface: Probed): HealthCheck {
  const id = `iface.${iface.key}.tls-days-left`;
  return {
    id,
    area: "interface",
    title: { zh: `${iface.zh} TLS 证书剩余天数`, en: `${iface.probe} TLS certificate days left` },
    quick: true,
    evaluate(facts, ctx) {
      const p = probeOf(facts, iface, id);
      if ("results" in p) return p.results;
      // Plain HTTP has no certificate: not applicable, so no result.
      if (!p.url.startsWith("https:")) return [];
      if (!p.certificateValidTo)
        return [unknown(id, p.url, `没有读到证书（见 iface.${iface.key}.reachable）：${p.evidence}`)];
      return [
        certificateResult(id, p.url, new Date(p.certificateValidTo), ctx.thresholds.certificateDaysLeft, ctx),
      ];
    },
  };
}

function certificateResult(
  id: string,
  target: string,
  end: Date,
  limit: Limit,
  ctx: HealthContext,
  subject = "",
): CheckResult {
  const days = daysUntil(end, ctx.now);
  const status = lowerIsWorse(days, limit);
  return {
    id,
    target,
    status,
    value: days,
    unit: "天",
    threshold: asThreshold(limit),
    evidence: `${subject ? `${subject}，` : ""}证书有效期至 ${end.toISOString().slice(0, 10)}`,
    ...(status !== "ok"
      ? {
          advice:
            days < 0 ? "证书已过期：立即更换证书" : "在到期前申请并更换证书（签名服务器证书向其 CA 申请）",
        }
      : {}),
  };
}

type Signature = Exclude<NonNullable<HostHealth["signature"]>, { error: string }>;

/** The signature server as each app host sees it; unknown when nothing could be read. */
function perSignatureProbe(
  facts: HealthFacts,
  id: string,
  judge: (target: string, s: Signature) => CheckResult[],
): CheckResult[] {
  if (!facts.hosts.ok) return [unknown(id, ALL_HOSTS, facts.hosts.reason)];
  const apps = facts.hosts.value.hosts.filter((h) => h.roles.includes("app"));
  if (apps.length === 0)
    return [unknown(id, "signature", "没有由 Ansible 管理的 app 服务器可从其探测签名服务器")];
  return apps.flatMap((host) => {
    if (!host.answered || !host.health)
      return [unknown(id, host.name, `服务器未应答（见 host.reachable）：${host.reason ?? "无应答"}`)];
    const section = host.health.signature;
    if (!section) return [unknown(id, host.name, "未声明签名服务器的地址")];
    const error = sectionError(section);
    if (error) return [unknown(id, host.name, `探测失败：${error}`)];
    const s = section as Signature;
    return judge(`${host.name}→${s.address}:${s.port}`, s);
  });
}

export const signatureReachable: HealthCheck = {
  id: "iface.signature.reachable",
  area: "interface",
  title: { zh: "签名服务器可达（TLS 握手）", en: "Signature server reachable (TLS handshake)" },
  quick: true,
  evaluate(facts) {
    return perSignatureProbe(facts, this.id, (target, s) => {
      if (!s.reachable)
        return [
          {
            id: this.id,
            target,
            status: "fail",
            value: false,
            evidence: `连接失败：${s.failure ?? ""}`,
            advice: "签名服务器不可达时无法开具电子票据：检查签名服务器电源、网络与端口",
          },
        ];
      if (s.tlsError && s.notAfter === undefined)
        return [
          {
            id: this.id,
            target,
            status: "fail",
            value: false,
            evidence: `端口可连接，但 TLS 握手失败：${s.tlsError}`,
            advice: "检查签名服务器的 TLS 服务与证书配置",
          },
        ];
      return [
        {
          id: this.id,
          target,
          status: "ok",
          value: true,
          evidence: `TLS 握手成功${s.subject ? `（${s.subject}）` : ""}`,
        },
      ];
    });
  },
};

export const signatureLatency: HealthCheck = {
  id: "iface.signature.latency",
  area: "interface",
  title: { zh: "签名服务器响应时间", en: "Signature server answer time" },
  quick: true,
  evaluate(facts, ctx) {
    const limit = ctx.thresholds.interfaceLatencyMs;
    return perSignatureProbe(facts, this.id, (target, s) => {
      const ms = s.handshakeMs ?? s.connectMs;
      if (!s.reachable || ms === undefined)
        return [unknown(this.id, target, "没有应答，无响应时间（见 iface.signature.reachable）")];
      const status = higherIsWorse(ms, limit);
      return [
        {
          id: this.id,
          target,
          status,
          value: ms,
          unit: "ms",
          threshold: asThreshold(limit),
          evidence: `连接 ${s.connectMs ?? "?"} ms，连同 TLS 握手 ${s.handshakeMs ?? "?"} ms`,
          ...(status !== "ok" ? { advice: "签名慢会拖慢每张票：检查签名服务器负载与网络" } : {}),
        },
      ];
    });
  },
};

export const signatureCertificate: HealthCheck = {
  id: "iface.signature.tls-days-left",
  area: "interface",
  title: { zh: "签名服务器证书剩余天数", en: "Signature server certificate days left" },
  quick: true,
  evaluate(facts, ctx) {
    // The stack declares when this certificate should start warning (interfaces.signature.certificateWarnDays).
    const fail = ctx.thresholds.certificateDaysLeft.fail;
    const limit = { warn: Math.max(ctx.env.interfaces.signature.certificateWarnDays, fail), fail };
    return perSignatureProbe(facts, this.id, (target, s) => {
      if (s.notAfterEpoch === undefined)
        return [unknown(this.id, target, `没有读到证书：${s.tlsError ?? s.failure ?? "未连接"}`)];
      return [certificateResult(this.id, target, new Date(s.notAfterEpoch * 1000), limit, ctx, s.subject)];
    });
  },
};

export const INTERFACE_CHECKS: HealthCheck[] = [
  ...PROBED_INTERFACES.flatMap((i) => [reachable(i), latency(i), tlsDaysLeft(i)]),
  signatureReachable,
  signatureLatency,
  signatureCertificate,
];
