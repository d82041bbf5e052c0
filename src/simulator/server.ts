/**
 * The hospital-side e-bill service, simulated: `POST <base>/medical-web/api/medical/<method>` with
 * the product's signed envelope (src/protocol/envelope.ts), over the sandbox database. Every call
 * is answered signed with the app key, HTTP 200, `S0000` or the product's error code (a request
 * whose sign does not match the key included: it is refused, answered with E0001), and recorded in
 * the interface log with the calls it made to its dependencies.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type pg from "pg";
import { connectionConfig } from "../db/connect.ts";
import { schemaOf } from "../db/reference-schema.ts";
import { serviceSchemaDdl } from "../db/schema-service.ts";
import type { Environment } from "../model/environment.ts";
import { signedAnswer, verifyCall } from "../protocol/envelope.ts";
import { RESULT } from "../protocol/result-codes.ts";
import { localTimestamp, serviceNow } from "./clock.ts";
import type { CallTrace, Outcome, ServiceContext } from "./context.ts";
import { Delivery, type DeliveryBill } from "./delivery.ts";
import { FaultSwitches } from "./faults.ts";
import { issueBill, redFlush } from "./issue.ts";
import { writeLog } from "./log.ts";
import { billsOfDay, billState, checkTotals, printBill, redrive } from "./queries.ts";
import { startStandIns, type StandIns } from "./stand-ins.ts";

/** Where the methods live under the context path. */
export const API_PATH = "/api/medical";

export interface SimulatorOptions {
  env: Environment;
  appKey: string;
  /** The simulator's folder: faults.json and the file server's archive root live here. */
  dir: string;
  port?: number;
  standInPorts?: { signature?: number; fiscal?: number; push?: number };
}

export interface Simulator {
  /** The service's base URL: `http://127.0.0.1:<port>/medical-web/api/medical`. */
  url: string;
  port: number;
  standIns: StandIns;
  delivery: Delivery;
  faultsFile: string;
  archiveDir: string;
  close(): Promise<void>;
}

type Handler = (
  ctx: ServiceContext,
  data: unknown,
  trace: CallTrace,
) => Promise<{ outcome: Outcome; delivery?: DeliveryBill } | Outcome>;

function methods(delivery: Delivery): Record<string, Handler> {
  return {
    invoiceEBillOutpatient: (ctx, data, trace) => issueBill(ctx, "outpatient", data, trace),
    invEBillHospitalized: (ctx, data, trace) => issueBill(ctx, "inpatient", data, trace),
    writeOffEBill: redFlush,
    getEBillStatesByBillInfo: (ctx, data) => billState(ctx, data),
    getBillByBusDate: (ctx, data) => billsOfDay(ctx, data),
    checkTotalData: (ctx, data) => checkTotals(ctx, data),
    printPaperBill: printBill,
    reArchiveEBill: (ctx, data) => redrive(ctx, delivery, "archive", data),
    rePushEBill: (ctx, data) => redrive(ctx, delivery, "push", data),
  };
}

/** One call's outcome: the envelope checked (signature, appid), then its method's handler. */
async function dispatch(
  ctx: ServiceContext,
  handlers: ReturnType<typeof methods>,
  delivery: Delivery,
  call: { method: string; body: string; trace: CallTrace },
): Promise<Outcome> {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(call.body);
  } catch {
    parsed = null;
  }
  const verified = verifyCall(parsed, ctx.appKey);
  const handler = Object.hasOwn(handlers, call.method) ? handlers[call.method] : undefined;
  if (!verified.ok) return { code: RESULT.badSign, message: { msg: `签名验证失败: ${verified.reason}` } };
  if (verified.value.appid !== ctx.appId)
    return { code: RESULT.badAppId, message: { msg: `appid ${verified.value.appid} 不存在` } };
  if (!handler) return { code: RESULT.unknownMethod, message: { msg: `接口 ${call.method} 不存在` } };
  try {
    const result = await handler(ctx, verified.value.data, call.trace);
    if ("delivery" in result && result.delivery) delivery.enqueue(result.delivery);
    return "outcome" in result ? result.outcome : result;
  } catch (error) {
    return {
      code: RESULT.internal,
      message: { msg: error instanceof Error ? error.message : String(error) },
    };
  }
}

/** The HTTP side: POST <prefix><method> with a bounded body; every answer is signed. */
function httpServer(
  prefix: string,
  appKey: string,
  serve: (req: http.IncomingMessage, body: string) => Promise<Outcome>,
): http.Server {
  return http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || !(req.url ?? "").startsWith(prefix)) {
      reply(404, { error: `POST ${prefix}<method>` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      void serve(req, Buffer.concat(chunks).toString("utf8")).then(
        (o) => reply(200, signedAnswer(appKey, o.code.code, o.message)),
        (error) => reply(500, { error: String(error) }),
      );
    });
  });
}

/** Who a call comes from, for the log (the HIS unless it says otherwise). */
function systemOf(method: string, userAgent: string | undefined): CallTrace["log"][number]["system"] {
  if (userAgent?.includes("ebill-ops probe")) return "probe";
  if (method === "printPaperBill") return "print";
  if (method.startsWith("re")) return "ops";
  return "his";
}

const MAX_BODY = 1024 * 1024;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { env, appKey, dir } = options;
  const { default: pgModule } = await import("pg");
  const pool: pg.Pool = new pgModule.Pool({ ...connectionConfig(env), max: 8 });
  pool.on("error", () => undefined);
  // A sandbox made before these tables existed gains them here (idempotent DDL).
  await pool.query(serviceSchemaDdl(schemaOf(env)));
  const faultsFileName = path.join(dir, "faults.json");
  const faults = new FaultSwitches(faultsFileName);
  const standIns = await startStandIns(appKey, faults, options.standInPorts);
  const contextPath = env.app.contextPath ?? "/medical-web";
  const archiveDir = path.join(dir, "fileserver", env.interfaces.fileServer.archiveRoot);
  const ctx: ServiceContext = {
    env,
    pool,
    schema: schemaOf(env),
    timeZone: env.maintenance?.timezone ?? "Asia/Shanghai",
    appId: env.interfaces.fiscal.appId,
    appKey,
    faults,
    standIns,
    archiveDir,
    baseUrl: "",
  };
  const delivery = new Delivery(ctx);
  const handlers = methods(delivery);
  const prefix = `${contextPath.replace(/\/+$/, "")}${API_PATH}/`;

  const serve = async (req: http.IncomingMessage, body: string): Promise<Outcome> => {
    const method = (req.url ?? "").split("?")[0]!.slice(prefix.length);
    const started = Date.now();
    const trace: CallTrace = { client: req.socket.remoteAddress ?? "?", log: [], facts: {} };
    const at = localTimestamp(serviceNow(), ctx.timeZone);
    const outcome = await dispatch(ctx, handlers, delivery, { method, body, trace });
    const msg = (outcome.message as { msg?: string } | null)?.msg;
    await writeLog(pool, ctx.schema, [
      {
        at,
        direction: "in",
        system: systemOf(method, req.headers["user-agent"]),
        method: method || "(none)",
        result: outcome.code.code,
        message: msg,
        ms: Date.now() - started,
        client: trace.client,
        ...trace.facts,
      },
      ...trace.log,
    ]).catch(() => undefined);
    return outcome;
  };

  const server = httpServer(prefix, appKey, serve);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${contextPath.replace(/\/+$/, "")}${API_PATH}`;
  ctx.baseUrl = `http://127.0.0.1:${port}${contextPath.replace(/\/+$/, "")}`;
  return {
    url,
    port,
    standIns,
    delivery,
    faultsFile: faultsFileName,
    archiveDir,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await delivery.idle();
      await standIns.close();
      await pool.end();
    },
  };
}
