/**
 * Where a running simulator says where it is: `<sandbox>/simulator/state.json` (its pid, the
 * service URL, the stand-ins' ports), written once it listens and removed when it stops. The
 * commands that talk to the sandbox's service (probe, traffic, retry) find it here.
 */
import { readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface SimulatorState {
  pid: number;
  url: string;
  port: number;
  standIns: { signature: number; fiscal: number; push: number };
  archiveDir: string;
  faultsFile: string;
  stack: string;
  startedAt: string;
}

export const simulatorDir = (sandboxRoot: string) => path.join(sandboxRoot, "simulator");
export const stateFile = (sandboxRoot: string) => path.join(simulatorDir(sandboxRoot), "state.json");

/** The state of a simulator that is running (its process alive); null otherwise. */
export function readSimulatorState(sandboxRoot: string): SimulatorState | null {
  let state: SimulatorState;
  try {
    state = JSON.parse(readFileSync(stateFile(sandboxRoot), "utf8")) as SimulatorState;
  } catch {
    return null;
  }
  try {
    process.kill(state.pid, 0);
    return state;
  } catch {
    return null;
  }
}

export async function writeSimulatorState(sandboxRoot: string, state: SimulatorState): Promise<void> {
  const file = stateFile(sandboxRoot);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2) + "\n");
  await rename(`${file}.tmp`, file);
}

export async function removeSimulatorState(sandboxRoot: string, pid: number): Promise<void> {
  try {
    const state = JSON.parse(readFileSync(stateFile(sandboxRoot), "utf8")) as SimulatorState;
    if (state.pid === pid) await rm(stateFile(sandboxRoot), { force: true });
  } catch {
    // already gone
  }
}
