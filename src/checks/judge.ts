/**
 * Small helpers every check uses to turn a measured value into a result: comparing with a declared
 * limit in either direction, and saying "could not be measured" in one way.
 */
import type { Environment } from "../model/environment.ts";
import type { Thresholds } from "../model/thresholds.ts";
import type { PreviousSizes } from "./facts.ts";
import type { CheckContext, CheckResult, CheckStatus, Threshold } from "./types.ts";

/** What the checks of this library read besides their facts. */
export interface HealthContext extends CheckContext {
  env: Environment;
  thresholds: Thresholds;
  /** The previous inspection's sizes, when `inspect` found one in the repository. */
  previous?: PreviousSizes;
}

export interface Limit {
  warn: number;
  fail: number;
}

/** Higher is worse (disk use, latency): fail at or above `fail`, warn at or above `warn`. */
export function higherIsWorse(value: number, limit: Limit): CheckStatus {
  if (value >= limit.fail) return "fail";
  if (value >= limit.warn) return "warn";
  return "ok";
}

/** Lower is worse (days left, free memory): fail at or below `fail`, warn at or below `warn`. */
export function lowerIsWorse(value: number, limit: Limit): CheckStatus {
  if (value <= limit.fail) return "fail";
  if (value <= limit.warn) return "warn";
  return "ok";
}

export const asThreshold = (limit: Limit): Threshold => ({ warn: limit.warn, fail: limit.fail });

/** A result that could not be measured: never ok, and the reason is the advice. */
export function unknown(id: string, target: string, reason: string, evidence = "未能测量"): CheckResult {
  return { id, target, status: "unknown", value: null, evidence, advice: reason };
}

/** Rounds for display: whole numbers stay whole, others keep `digits` decimals. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "2 小时 5 分钟", "3 天 4 小时": how long something lasted, for people. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return "不到 1 分钟";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days} 天${hours > 0 ? ` ${hours} 小时` : ""}`;
  if (hours > 0) return `${hours} 小时${rest > 0 ? ` ${rest} 分钟` : ""}`;
  return `${rest} 分钟`;
}

/** Seconds as people read them: "45 秒", "6 分钟", "2 小时 5 分钟". */
export function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${Math.round(seconds)} 秒` : formatDuration(seconds * 1000);
}
