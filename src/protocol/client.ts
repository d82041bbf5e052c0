/**
 * Calling the hospital-side service: one signed call, its answer verified with the same app key
 * (src/protocol/envelope.ts). Used by the tool's own operations (the sandbox HIS's traffic, retry);
 * probes go through src/probe/probe.ts, which also decides where a packet may go.
 */
import { signedCall, verifyAnswer } from "./envelope.ts";

export interface ServiceAddress {
  /** Base URL ending in `/api/medical`; the method is appended. */
  url: string;
  appId: string;
  appKey: string;
  timeoutMs?: number;
}

export interface ServiceAnswer {
  result: string;
  message: unknown;
}

export class ServiceCallFailed extends Error {}

export async function callService(
  service: ServiceAddress,
  method: string,
  data: unknown,
  userAgent = "ebill-ops",
): Promise<ServiceAnswer> {
  const url = `${service.url.replace(/\/+$/, "")}/${method}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "user-agent": userAgent },
      body: JSON.stringify(signedCall(service.appId, service.appKey, data)),
      signal: AbortSignal.timeout(service.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const e = error as { cause?: { code?: string }; message?: string };
    throw new ServiceCallFailed(`${url}: no answer (${e.cause?.code ?? e.message ?? String(error)})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ServiceCallFailed(
      `${url} answered HTTP ${response.status} without the product's signed answer`,
    );
  }
  const verified = verifyAnswer(body, service.appKey);
  if (!verified.ok) throw new ServiceCallFailed(`${url}: ${verified.reason}`);
  return verified.value;
}
