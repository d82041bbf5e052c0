/** What every handler of the simulated service works with. */
import type pg from "pg";
import type { Environment } from "../model/environment.ts";
import type { ResultCode } from "../protocol/result-codes.ts";
import type { FaultSwitches } from "./faults.ts";
import type { LogRow } from "./log.ts";
import type { StandIns } from "./stand-ins.ts";

export interface ServiceContext {
  env: Environment;
  pool: pg.Pool;
  schema: string;
  timeZone: string;
  appId: string;
  appKey: string;
  faults: FaultSwitches;
  standIns: StandIns;
  /** The file server's archive root, mapped under the sandbox directory. */
  archiveDir: string;
  /** The service's own base URL (for the bill page links it answers). */
  baseUrl: string;
}

/** One call being served: who called, and the log rows it produces (written when it ends). */
export interface CallTrace {
  client: string;
  log: LogRow[];
  /** Facts for the call's own log row (the offending value, the bill issued). */
  facts: Partial<Pick<LogRow, "busNo" | "placeCode" | "detail" | "billCode" | "billNo">>;
}

export interface Outcome {
  code: ResultCode;
  message: unknown;
}
