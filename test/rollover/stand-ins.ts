/**
 * Stand-ins for the services a probe asks, on 127.0.0.1 (or an address inside a test namespace):
 * one that speaks the product's signed protocol (src/protocol/envelope.ts) for the fiscal endpoint
 * and answers 404 everywhere else, as a proxy or another service on the port would.
 */
import http from "node:http";
import { signedAnswer, verifyCall } from "../../src/protocol/envelope.ts";

export interface StandIn {
  url: string;
  /** Requests seen, as "METHOD path". */
  seen: string[];
  close(): Promise<void>;
}

/**
 * POST <prefix>/<method> with a call signed with `appKey`: a signed S0000 answer (the status call
 * finds no bill). A call signed otherwise: the product's unsigned refusal. Anything else: 404.
 */
export async function signedStandIn(
  appKey: string,
  options: { prefix?: string; host?: string; port?: number } = {},
): Promise<StandIn> {
  const prefix = options.prefix ?? "/fiscal/";
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    let body = "";
    request.on("data", (d: Buffer) => (body += d.toString()));
    request.on("end", () => {
      if (request.method !== "POST" || !request.url?.startsWith(prefix)) {
        response.writeHead(404, { "content-type": "text/html" });
        response.end("<html><body>404 Not Found</body></html>");
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = null;
      }
      const call = verifyCall(parsed, appKey);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          call.ok
            ? signedAnswer(appKey, "S0000", { billStates: [] })
            : { result: "E0003", message: Buffer.from('"sign error"').toString("base64") },
        ),
      );
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("no address");
  return {
    url: `http://${host}:${address.port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
