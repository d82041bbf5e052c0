/**
 * One message per run with changes, per webhook, in the robot's own format. Pure: the secrets are
 * passed in already resolved, the clock for DingTalk's signed timestamp too.
 *
 * - 企业微信 group robot: POST <url>?key=KEY, {"msgtype": "markdown", "markdown": {"content"}}, the
 *   content at most 4096 bytes (UTF-8); <font color="warning|info|comment"> colours a line.
 * - 钉钉 robot: POST <url>?access_token=T[&timestamp=MS&sign=S], {"msgtype": "markdown",
 *   "markdown": {"title", "text"}}; with 加签, S = URL-encoded base64 of HMAC-SHA256 (key: the
 *   secret, message: `timestamp + "\n" + secret`), the timestamp in milliseconds of the real
 *   clock (DingTalk refuses one more than an hour from its own).
 * - JSON: POST <url> the events as data, `Authorization: Bearer <token>` when a token is declared.
 */
import { createHmac } from "node:crypto";
import type { Webhook } from "../../model/environment.ts";
import { localDate } from "../../base/time.ts";
import { formatDuration } from "../judge.ts";
import type { MonitorEvent } from "./transitions.ts";

export const WECOM_MAX_BYTES = 4096;
/** DingTalk takes longer messages; a group chat reads better short, and the rest is one command away. */
export const DINGTALK_MAX_BYTES = 4096;

export interface MessageContext {
  hospital: string;
  stack: string;
  timeZone: string;
  at: Date;
  /** Results still warning or failing after this run. */
  open: number;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** DingTalk's signature of a timestamp (ms) with the robot's secret, URL-encoded. */
export function dingtalkSign(secret: string, timestamp: number): string {
  const digest = createHmac("sha256", secret).update(`${timestamp}\n${secret}`, "utf8").digest("base64");
  return encodeURIComponent(digest);
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

function localTime(at: Date, timeZone: string): string {
  const d = localDate(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}`;
}

const GROUPS = [
  { to: "fail", title: "故障", colour: "warning" },
  { to: "warn", title: "警告", colour: "warning" },
  { to: "ok", title: "恢复", colour: "info" },
] as const;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function eventLine(e: MonitorEvent): string {
  const change =
    e.to === "ok"
      ? `已恢复，此前${e.from === "fail" ? "故障" : "警告"}持续 ${formatDuration(e.durationMs)}`
      : e.from === "ok"
        ? e.evidence
        : `${e.from === "warn" ? "加重为故障" : "减轻为警告"}：${e.evidence}`;
  const advice = e.to !== "ok" && e.advice ? `\n> 建议：${clip(e.advice, 200)}` : "";
  return `> **${e.title}** · ${e.target}（${e.id}）\n> ${clip(change, 300)}${advice}`;
}

/**
 * The message text: a heading, then the changes grouped (故障, 警告, 恢复), cut to `maxBytes` with
 * a last line saying how many were left out and where to see them.
 */
export function eventsMarkdown(
  ctx: MessageContext,
  events: readonly MonitorEvent[],
  options: { maxBytes: number; colour: boolean },
): string {
  const head = `### 【电子票据监控】${ctx.hospital}（${ctx.stack}）${events.length} 项状态变化\n> ${localTime(ctx.at, ctx.timeZone)}（${ctx.timeZone}）`;
  const tail = `\n\n当前仍有 ${ctx.open} 项异常${ctx.open > 0 ? `：运行 ebill-ops monitor --stack ${ctx.stack} 查看` : ""}`;
  const parts: string[] = [];
  for (const g of GROUPS) {
    const inGroup = events.filter((e) => e.to === g.to);
    if (inGroup.length === 0) continue;
    const heading = `**${g.title} ${inGroup.length} 项**`;
    parts.push(options.colour ? `<font color="${g.colour}">${heading}</font>` : heading);
    for (const e of inGroup) parts.push(eventLine(e));
  }
  // Room for the last lines: what is still open, and how many changes did not fit.
  const budget = options.maxBytes - bytes(tail) - 200;
  let text = head;
  let shown = 0;
  for (const part of parts) {
    if (bytes(text) + bytes(part) + 2 > budget) break;
    text += "\n\n" + part;
    if (part.startsWith("> ")) shown++;
  }
  const hidden = events.length - shown;
  if (hidden > 0) text += `\n\n……另有 ${hidden} 项未列出：运行 ebill-ops monitor --stack ${ctx.stack} 查看`;
  return text + tail;
}

export function jsonBody(ctx: MessageContext, events: readonly MonitorEvent[]) {
  return {
    source: "ebill-ops monitor",
    stack: ctx.stack,
    hospital: ctx.hospital,
    at: ctx.at.toISOString(),
    open: ctx.open,
    events: events.map((e) => ({
      id: e.id,
      target: e.target,
      title: e.title,
      from: e.from,
      to: e.to,
      at: e.at,
      since: e.since,
      durationSeconds: Math.round(e.durationMs / 1000),
      evidence: e.evidence,
      ...(e.advice ? { advice: e.advice } : {}),
    })),
  };
}

const withQuery = (url: string, query: Record<string, string>) => {
  const joined = Object.entries(query)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return `${url}${url.includes("?") ? "&" : "?"}${joined}`;
};

/**
 * The request for one webhook. `secrets` holds the resolved values of the hook's references;
 * `clockMs` is the real time for DingTalk's signature.
 */
export function webhookRequest(
  hook: Webhook,
  secret: (ref: { secret: string }) => string,
  ctx: MessageContext,
  events: readonly MonitorEvent[],
  clockMs: number,
): WebhookRequest {
  const json = { "content-type": "application/json; charset=utf-8" };
  switch (hook.kind) {
    case "wecom":
      return {
        url: withQuery(hook.url, { key: encodeURIComponent(secret(hook.key)) }),
        headers: json,
        body: JSON.stringify({
          msgtype: "markdown",
          markdown: { content: eventsMarkdown(ctx, events, { maxBytes: WECOM_MAX_BYTES, colour: true }) },
        }),
      };
    case "dingtalk": {
      const query: Record<string, string> = { access_token: encodeURIComponent(secret(hook.accessToken)) };
      if (hook.secret) {
        query.timestamp = String(clockMs);
        query.sign = dingtalkSign(secret(hook.secret), clockMs);
      }
      return {
        url: withQuery(hook.url, query),
        headers: json,
        body: JSON.stringify({
          msgtype: "markdown",
          markdown: {
            title: `电子票据监控：${ctx.hospital} ${events.length} 项状态变化`,
            text: eventsMarkdown(ctx, events, { maxBytes: DINGTALK_MAX_BYTES, colour: false }),
          },
        }),
      };
    }
    case "json":
      return {
        url: hook.url,
        headers: { ...json, ...(hook.token ? { authorization: `Bearer ${secret(hook.token)}` } : {}) },
        body: JSON.stringify(jsonBody(ctx, events)),
      };
  }
}
