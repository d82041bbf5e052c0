/**
 * Fault switches: each makes one dependency of the simulated service fail on purpose, for real
 * (a closed port, a 500, ENOSPC from the kernel), so diagnosis is tested against the symptoms an
 * engineer meets. They live in a small JSON file beside the simulator's state, read on every
 * call, so `sandbox fault` / `sandbox traffic --faults` switch a running simulator.
 *
 * Service-side faults (the simulator acts on them):
 * - signature-down      the signature server stand-in stops listening (connection refused)
 * - fiscal-down         the fiscal platform stand-in stops listening: archiving fails
 * - disk-full           archive files are written to /dev/full (the kernel answers ENOSPC)
 * - push-500            the push endpoint stand-in answers HTTP 500
 * - stock-exhausted:P   the stock cursor of invoicing point P moves past its last number
 * Client-side faults (the traffic generator acts on them, as a HIS or a cashier PC would):
 * - unmapped-channel    the HIS sends payChannelCode 'ZFB', which has no 接口对照
 * - print-old-template  the cashier PC's print component prints with last year's template
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

export const SERVICE_FAULTS = ["signature-down", "fiscal-down", "disk-full", "push-500"] as const;
export const CLIENT_FAULTS = ["unmapped-channel", "print-old-template"] as const;
export type Fault =
  (typeof SERVICE_FAULTS)[number] | (typeof CLIENT_FAULTS)[number] | `stock-exhausted:${string}`;

export const FAULT_NAMES = [...SERVICE_FAULTS, ...CLIENT_FAULTS, "stock-exhausted:<place>"] as const;

/** A fault as typed on the command line; throws naming the known ones. */
export function parseFault(text: string): Fault {
  const t = text.trim();
  if ((SERVICE_FAULTS as readonly string[]).includes(t) || (CLIENT_FAULTS as readonly string[]).includes(t))
    return t as Fault;
  if (/^stock-exhausted:[^\s,]{1,50}$/.test(t)) return t as Fault;
  throw new Error(`unknown fault '${t}'; known faults: ${FAULT_NAMES.join(", ")}`);
}

export function parseFaults(list: string | undefined): Fault[] {
  if (!list) return [];
  return [
    ...new Set(
      list
        .split(",")
        .filter((x) => x.trim() !== "")
        .map(parseFault),
    ),
  ];
}

export const faultsFile = (simulatorDir: string) => path.join(simulatorDir, "faults.json");

/** Reads the switches; a missing file is no fault. Cached on the file's mtime (read on every call). */
export class FaultSwitches {
  private cache: { stamp: string; faults: Set<string> } | null = null;
  constructor(private readonly file: string) {}

  current(): Set<string> {
    let stamp: string;
    try {
      // A rename (writeFaults) gives a new inode even within one mtime tick.
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return new Set();
    }
    if (this.cache?.stamp === stamp) return this.cache.faults;
    let faults: string[] = [];
    try {
      faults = (JSON.parse(readFileSync(this.file, "utf8")) as { faults?: string[] }).faults ?? [];
    } catch {
      faults = [];
    }
    this.cache = { stamp, faults: new Set(faults) };
    return this.cache.faults;
  }

  has(fault: Fault): boolean {
    return this.current().has(fault);
  }
}

export async function readFaults(file: string): Promise<Fault[]> {
  try {
    return ((JSON.parse(await readFile(file, "utf8")) as { faults?: string[] }).faults ?? []) as Fault[];
  } catch {
    return [];
  }
}

/** Replaces the switches atomically (a call never reads half a file). */
export async function writeFaults(file: string, faults: readonly Fault[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ faults: [...new Set(faults)].sort() }, null, 2) + "\n");
  await rename(tmp, file);
}

export const stockFaultPlace = (fault: string): string | null =>
  fault.startsWith("stock-exhausted:") ? fault.slice("stock-exhausted:".length) : null;
