/**
 * Starting and stopping the simulator's process for `sandbox up` / `down`. Compiled, it runs as
 * dist/simulator.js beside the CLI (bin/build.mjs); from the sources (tests), through tsx.
 */
import { openSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { start } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";
import { readSimulatorState, simulatorDir, type SimulatorState } from "./state.ts";

const PROGRAM = import.meta.url.endsWith(".js")
  ? [fileURLToPath(new URL("./simulator.js", import.meta.url))]
  : ["--import", "tsx", path.join(REPO_ROOT, "src/simulator/main.ts")];

/** Starts the simulator for `stack` unless one runs; resolves with its state once it listens. */
export async function launchSimulator(stack: string, sandboxRoot: string): Promise<SimulatorState> {
  const running = readSimulatorState(sandboxRoot);
  if (running) return running;
  const dir = simulatorDir(sandboxRoot);
  await mkdir(dir, { recursive: true });
  const logFile = path.join(dir, "simulator.log");
  const log = openSync(logFile, "a");
  const child = start(process.execPath, [...PROGRAM, stack, sandboxRoot], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", log, log],
    env: process.env,
  });
  child.unref();
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const state = readSimulatorState(sandboxRoot);
    if (state && state.pid === child.pid) return state;
    if (exited !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited === null && child.pid) process.kill(child.pid, "SIGTERM");
  throw new Error(`the e-bill service simulator did not start; see ${logFile}`);
}

/** Stops the simulator this sandbox started (its pid from the state file); false when none ran. */
export async function stopSimulator(sandboxRoot: string): Promise<boolean> {
  const state = readSimulatorState(sandboxRoot);
  if (!state) return false;
  process.kill(state.pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && readSimulatorState(sandboxRoot))
    await new Promise((r) => setTimeout(r, 100));
  return true;
}
