/**
 * The signed envelope of the product's interface (the hospital-side e-bill service, and the fiscal
 * platform endpoint the stack declares with an appid and app key). The one place that knows it:
 * probes sign a call and check the answer with it; a protocol simulator answers with it.
 *
 * A call is `POST <base URL>/<method>` with the JSON body `{appid, data, noise, version, sign}`:
 * `data` is base64 of UTF-8 JSON, `noise` a fresh UUID, `version` "1.0", and `sign` the upper-case
 * hex MD5 of the fields (all but `sign` and `version`) as `name=value` in name order joined by `&`,
 * then `&key=<app key>&version=1.0`. For a call that is exactly
 * `appid=…&data=…&noise=…&key=<appKey>&version=1.0`.
 *
 * An answer is `{result, message, noise, version, sign}`, signed by the same rule over its own
 * fields (`message=…&noise=…&result=…&key=…&version=1.0`); `result` "S0000" is success and
 * `message` is base64 of UTF-8 JSON. Only a party holding the app key can sign, so a correctly
 * signed answer proves the service itself answered, whatever its result code.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "1.0";
/** The business result code of success. */
export const SUCCESS = "S0000";

export interface SignedCall {
  appid: string;
  data: string;
  noise: string;
  version: string;
  sign: string;
}

export interface SignedAnswer {
  result: string;
  message: string;
  noise: string;
  version: string;
  sign: string;
}

/** The signature of a set of fields (see the header for the rule). */
export function signFields(fields: Readonly<Record<string, string>>, appKey: string): string {
  const body = Object.keys(fields)
    .filter((name) => name !== "sign" && name !== "version")
    .sort()
    .map((name) => `${name}=${fields[name]}`)
    .join("&");
  return createHash("md5")
    .update(`${body}&key=${appKey}&version=${PROTOCOL_VERSION}`, "utf8")
    .digest("hex")
    .toUpperCase();
}

const toBase64Json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64");

export function signedCall(appId: string, appKey: string, data: unknown, noise = randomUUID()): SignedCall {
  const fields = { appid: appId, data: toBase64Json(data), noise };
  return { ...fields, version: PROTOCOL_VERSION, sign: signFields(fields, appKey) };
}

/** What a service (or a stand-in / simulator of it) answers. */
export function signedAnswer(
  appKey: string,
  result: string,
  message: unknown,
  noise = randomUUID(),
): SignedAnswer {
  const fields = { result, message: toBase64Json(message), noise };
  return { ...fields, version: PROTOCOL_VERSION, sign: signFields(fields, appKey) };
}

export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string };

function sameSign(given: unknown, expected: string): boolean {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given.toUpperCase()), Buffer.from(expected));
}

function stringFields(body: unknown, names: readonly string[]): Record<string, string> | string {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "not a JSON object";
  const record = body as Record<string, unknown>;
  const missing = names.filter((n) => typeof record[n] !== "string");
  if (missing.length > 0) return `no ${missing.join(", ")}`;
  return Object.fromEntries(names.map((n) => [n, record[n] as string]));
}

function decodeBase64Json(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    return text;
  }
}

/** Checks an answer's signature with the app key; the decoded message when it holds. */
export function verifyAnswer(body: unknown, appKey: string): Verified<{ result: string; message: unknown }> {
  const fields = stringFields(body, ["result", "message", "noise", "sign"]);
  if (typeof fields === "string") return { ok: false, reason: `not a signed answer (${fields})` };
  const { sign, ...signed } = fields;
  if (!sameSign(sign, signFields(signed, appKey)))
    return { ok: false, reason: "the answer's sign does not match the app key" };
  return { ok: true, value: { result: fields.result!, message: decodeBase64Json(fields.message!) } };
}

/** Checks a call's signature (what the service does first); the decoded data when it holds. */
export function verifyCall(body: unknown, appKey: string): Verified<{ appid: string; data: unknown }> {
  const fields = stringFields(body, ["appid", "data", "noise", "sign"]);
  if (typeof fields === "string") return { ok: false, reason: `not a signed call (${fields})` };
  const { sign, ...signed } = fields;
  if (!sameSign(sign, signFields(signed, appKey)))
    return { ok: false, reason: "the call's sign does not match the app key" };
  return { ok: true, value: { appid: fields.appid!, data: decodeBase64Json(fields.data!) } };
}
