/**
 * A webhook receiver on 127.0.0.1 standing in for the 企业微信 and 钉钉 robots and a JSON endpoint:
 * it records every request and answers as the robots do ({"errcode":0,"errmsg":"ok"}), or with an
 * error while `failing` is set. It checks DingTalk's signature itself, independently of the tool.
 */
import { createHmac } from "node:crypto";
import http from "node:http";

export interface Received {
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  bytes: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answer HTTP 500 instead of accepting. */
  failing: boolean;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state = { failing: false };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as text: a test will say it is not JSON
      }
      if (state.failing) {
        response.writeHead(500).end("robot unavailable");
        return;
      }
      received.push({
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
        bytes: Buffer.byteLength(raw),
      });
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ errcode: 0, errmsg: "ok" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DingTalk's own check of a signed request: the timestamp within an hour, the signature matching. */
export function dingtalkSignatureValid(query: URLSearchParams, secret: string, nowMs: number): boolean {
  const timestamp = Number(query.get("timestamp"));
  if (!Number.isFinite(timestamp) || Math.abs(nowMs - timestamp) > 3_600_000) return false;
  const expected = createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
  return query.get("sign") === expected; // URLSearchParams has already URL-decoded it
}
