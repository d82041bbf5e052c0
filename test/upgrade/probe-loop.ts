/**
 * A client of the e-bill service for the upgrade test: one signed status call through the proxy
 * every 200 ms, run inside the test hosts' namespace; one JSON line per call on stdout
 * ({at, ok, ms, why}). Reads {url, appId, appKey} from stdin; runs until killed.
 */
import http from "node:http";
import { signedCall, verifyAnswer } from "../../src/protocol/envelope.ts";
import { STATUS_CALL } from "../../src/probe/probe.ts";

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const { url, appId, appKey } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string>;
const target = new URL(`${url}/${STATUS_CALL.method}`);

function call(): Promise<{ ok: boolean; why?: string }> {
  const body = JSON.stringify(signedCall(appId!, appKey!, STATUS_CALL.data));
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        agent: false,
        timeout: 5000,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => {
          try {
            const v = verifyAnswer(JSON.parse(Buffer.concat(parts).toString("utf8")), appKey!);
            resolve(
              v.ok && v.value.result === "S0000"
                ? { ok: true }
                : { ok: false, why: `answer: ${JSON.stringify(v)}` },
            );
          } catch {
            resolve({ ok: false, why: `HTTP ${res.statusCode}` });
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ ok: false, why: e.message }));
    req.end(body);
  });
}

for (;;) {
  const started = Date.now();
  const r = await call();
  process.stdout.write(JSON.stringify({ at: started, ms: Date.now() - started, ...r }) + "\n");
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - (Date.now() - started))));
}
