/**
 * The service's dependencies, as stand-ins on 127.0.0.1 inside the simulator's process: the
 * signature server (签名服务器), the fiscal platform's archive endpoint (signed with the app key,
 * src/protocol/envelope.ts) and the push endpoint. A "down" fault closes the listening socket, so
 * the service sees a real connection refused; "push-500" makes the push stand-in answer 500.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signedAnswer, SUCCESS, verifyCall } from "../protocol/envelope.ts";
import type { FaultSwitches } from "./faults.ts";

type Handler = (body: string, res: http.ServerResponse) => void;

/** One stand-in: an HTTP server that can be taken down and brought back on the same port. */
class StandIn {
  private server: http.Server | null = null;
  port = 0;
  constructor(
    readonly name: string,
    private readonly handler: Handler,
  ) {}

  async listen(port = this.port): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handler(Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get up(): boolean {
    return this.server !== null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
};

export interface StandIns {
  signature: StandIn;
  fiscal: StandIn;
  push: StandIn;
  /** Brings each stand-in up or down as the fault switches say (called before each use). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export async function startStandIns(
  appKey: string,
  faults: FaultSwitches,
  ports: { signature?: number; fiscal?: number; push?: number } = {},
): Promise<StandIns> {
  const signature = new StandIn("signature", (body, res) => {
    // A stand-in for the appliance's signing: an HMAC of the bill digest (the real one uses SM2).
    const digest = (() => {
      try {
        return String((JSON.parse(body) as { digest?: string }).digest ?? "");
      } catch {
        return "";
      }
    })();
    if (!digest) return json(res, 400, { error: "no digest" });
    json(res, 200, { signature: createHmac("sha256", "sandbox-signature").update(digest).digest("base64") });
  });
  const fiscal = new StandIn("fiscal", (body, res) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = null;
    }
    const call = verifyCall(parsed, appKey);
    if (!call.ok) return json(res, 200, signedAnswer(appKey, "E0001", { reason: call.reason }));
    json(res, 200, signedAnswer(appKey, SUCCESS, { archived: true }));
  });
  const push = new StandIn("push", (_body, res) => {
    if (faults.has("push-500")) return json(res, 500, { error: "internal error" });
    json(res, 200, { ok: true });
  });
  await signature.listen(ports.signature ?? 0);
  await fiscal.listen(ports.fiscal ?? 0);
  await push.listen(ports.push ?? 0);
  const all = [signature, fiscal, push];
  let syncing: Promise<void> = Promise.resolve();
  return {
    signature,
    fiscal,
    push,
    sync() {
      // Serialised: concurrent calls must not race to close or re-open the same port.
      syncing = syncing.then(async () => {
        const want = [
          [signature, !faults.has("signature-down")],
          [fiscal, !faults.has("fiscal-down")],
        ] as const;
        for (const [standIn, up] of want) {
          if (up && !standIn.up) await standIn.listen();
          if (!up && standIn.up) await standIn.close();
        }
      });
      return syncing;
    },
    async close() {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
