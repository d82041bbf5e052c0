/**
 * The monitor's memory between runs: the last known status of every check result and the
 * messages not yet delivered. Kept in a file where the runner keeps it (by default
 * `$XDG_STATE_HOME/ebill-ops/monitor/<stack>.json`, i.e. under the runner user's home), never in
 * the systems watched: a database that is down must still be reported, and its recovery too.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { MonitorEvent } from "./transitions.ts";

export const STATE_VERSION = 1;

/** Statuses the monitor remembers: `unknown` keeps the last known one (see transitions.ts). */
export type KnownStatus = "ok" | "warn" | "fail";

export interface MonitorState {
  version: typeof STATE_VERSION;
  stack: string;
  /** When the monitor last ran with --notify (ISO). */
  updatedAt: string | null;
  /** `<check id> <target>` -> its last known status and since when it has had it. */
  checks: Record<string, { status: KnownStatus; since: string }>;
  /** Webhook name -> changes not yet delivered to it (sent with the next message, in order). */
  outbox: Record<string, MonitorEvent[]>;
}

export const emptyState = (stack: string): MonitorState => ({
  version: STATE_VERSION,
  stack,
  updatedAt: null,
  checks: {},
  outbox: {},
});

/** Where the state lives unless --state says otherwise: the runner user's state directory. */
export function defaultStateFile(stack: string): string {
  const base =
    process.env.EBILL_OPS_STATE_DIR ||
    path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "ebill-ops");
  return path.join(base, "monitor", `${stack}.json`);
}

/** The state in `file`; an empty one when there is none yet. A file that is not a state is refused, not overwritten. */
export async function readState(file: string, stack: string): Promise<MonitorState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState(stack);
    throw new Error(`cannot read the monitor state ${file}: ${(error as Error).message}`);
  }
  let state: Partial<MonitorState>;
  try {
    state = JSON.parse(text) as Partial<MonitorState>;
  } catch {
    state = {};
  }
  if (state.version !== STATE_VERSION || typeof state.checks !== "object" || typeof state.outbox !== "object")
    throw new Error(
      `${file} is not a monitor state of this version (version ${STATE_VERSION}); move it away to start afresh (the next run treats every check as ok before it), nothing was sent`,
    );
  if (state.stack !== stack)
    throw new Error(
      `${file} holds the monitor state of stack ${state.stack}, not ${stack}; pass --state with this stack's file`,
    );
  return state as MonitorState;
}

/** Written whole or not at all (a temporary file renamed over it), readable by the runner's user only. */
export async function writeState(file: string, state: MonitorState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  await rename(temporary, file);
}
