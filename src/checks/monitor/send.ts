/**
 * Delivering a webhook message. Where it may go is decided here, where it is sent, by the probe
 * module's rule: a sandbox stack reaches only this machine (127.0.0.1), so a test or a demo can
 * never post to a real group chat. The URL carries the robot's key or token: it is never shown;
 * messages name the webhook and its host only.
 */
import http from "node:http";
import https from "node:https";
import type { Environment, Webhook } from "../../model/environment.ts";
import { networkScope, routeFor } from "../../probe/probe.ts";
import type { WebhookRequest } from "./messages.ts";

const TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** How a webhook is named in messages: its name, kind and host, never its key. */
export function hookLabel(hook: Webhook): string {
  let host = "?";
  try {
    host = new URL(hook.url).host;
  } catch {
    // the model only lets well-formed URLs in
  }
  return `${hook.name} (${hook.kind}, ${host})`;
}

/**
 * Posts the request; resolves when the robot accepted it (HTTP 2xx and, for WeCom and DingTalk,
 * errcode 0), rejects saying why otherwise.
 */
export function deliver(
  env: Pick<Environment, "kind">,
  hook: Webhook,
  request: WebhookRequest,
): Promise<void> {
  const route = routeFor(networkScope(env), request.url);
  const label = hookLabel(hook);
  if (route.via === "refused")
    return Promise.reject(new Error(`${label}: not sent: ${route.reason.replace(request.url, "its URL")}`));
  if (route.via === "namespace")
    return Promise.reject(
      new Error(
        `${label}: not sent: webhooks are posted from this machine, and the address exists only inside the sandbox hosts`,
      ),
    );
  const u = new URL(request.url);
  const tls = u.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        protocol: u.protocol,
        host: route.address ?? u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port || (tls ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        method: "POST",
        timeout: TIMEOUT_MS,
        headers: { ...request.headers, host: u.host, "content-length": Buffer.byteLength(request.body) },
        ...(tls ? { servername: u.hostname } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        response.on("error", (e) => reject(new Error(`${label}: ${e.message}`)));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString("utf8");
          if (status < 200 || status >= 300)
            return reject(new Error(`${label}: HTTP ${status} ${text.slice(0, 200)}`));
          if (hook.kind !== "json") {
            let answer: { errcode?: number; errmsg?: string } = {};
            try {
              answer = JSON.parse(text) as typeof answer;
            } catch {
              return reject(new Error(`${label}: the robot's answer is not JSON: ${text.slice(0, 200)}`));
            }
            if (answer.errcode !== 0)
              return reject(
                new Error(
                  `${label}: the robot refused the message: errcode ${answer.errcode} ${answer.errmsg ?? ""}`,
                ),
              );
          }
          resolve();
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", (e) => reject(new Error(`${label}: ${e.message}`)));
    req.end(request.body);
  });
}
