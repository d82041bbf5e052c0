/**
 * The one way ebill-ops (and its tests) run another program: git, ansible-playbook, ip, sshd,
 * pg_ctl, chromium's helpers, node itself. Arguments are always an array (no shell unless a caller
 * asks for `sh -c` on purpose), output is captured up to a limit, and a failure says which program
 * failed, how, and what it printed.
 *
 * Why our own module and not zx's `$`: `$` runs every command through a shell, and most of these
 * calls need what it does not give plainly: a child as another user (the contained stack
 * evaluator), its own process group to kill, synchronous calls in the namespace-host harness, a
 * pipe between two programs (git archive | tar), and no dependency to load at start-up.
 */
import {
  type ChildProcess,
  type SpawnOptions,
  spawn,
  spawnSync,
  type SpawnSyncOptions,
} from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

export interface RunOptions {
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** Killed after this long (with `killSignal`, default SIGTERM); the result then says `timedOut`. */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
  /** Output kept per stream; more is an error, as in execFile (default 256 MB). */
  maxBuffer?: number;
  uid?: number;
  gid?: number;
  /** "inherit": the child writes to this terminal (nothing is captured). Default "pipe". */
  stdio?: "pipe" | "inherit" | "ignore";
}

export interface RunResult<T = string> {
  /** The exit status; null when a signal ended the program. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: T;
  stderr: T;
  timedOut: boolean;
}

const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;

/** A program that ran and failed: its command line, exit status and output are in the message. */
export class ProgramFailed extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    const how = result.timedOut
      ? "timed out"
      : result.signal
        ? `was killed (${result.signal})`
        : `exited ${result.code}`;
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join("\n");
    super(`${[command, ...args].join(" ")} ${how}${said ? `: ${said}` : ""}`);
  }
}

function syncOptions(options: RunOptions): SpawnSyncOptions {
  return {
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    timeout: options.timeoutMs,
    killSignal: options.killSignal,
    maxBuffer: options.maxBuffer ?? DEFAULT_MAX_BUFFER,
    stdio: options.stdio === "inherit" || options.stdio === "ignore" ? options.stdio : "pipe",
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  };
}

function syncResult<T>(command: string, r: ReturnType<typeof spawnSync>, empty: T): RunResult<T> {
  // A program that cannot start (not installed) is the caller's error, not a result.
  const error = r.error as NodeJS.ErrnoException | undefined;
  if (error && error.code !== "ETIMEDOUT") throw new Error(`cannot run ${command}: ${error.message}`);
  return {
    code: r.status,
    signal: r.signal,
    stdout: (r.stdout as T | null) ?? empty,
    stderr: (r.stderr as T | null) ?? empty,
    timedOut: error?.code === "ETIMEDOUT",
  };
}

/** Runs a program to its end and returns what happened; a failing program is a result, not an error. */
export function runSync(command: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const r = spawnSync(command, args, { ...syncOptions(options), encoding: "utf8" });
  return syncResult(command, r, "");
}

/** Its stdout; a failing program throws ProgramFailed. */
export function outputSync(command: string, args: readonly string[], options: RunOptions = {}): string {
  const result = runSync(command, args, options);
  if (result.code !== 0) throw new ProgramFailed(command, args, result);
  return result.stdout;
}

/** Its stdout as bytes (a diff to hash); a failing program throws ProgramFailed. */
export function bytesSync(command: string, args: readonly string[], options: RunOptions = {}): Buffer {
  return stdoutBytes(
    command,
    args,
    syncResult(command, spawnSync(command, args, syncOptions(options)), Buffer.alloc(0)),
  );
}

const asText = (r: RunResult<Buffer>): RunResult => ({
  ...r,
  stdout: r.stdout.toString("utf8"),
  stderr: r.stderr.toString("utf8"),
});

function stdoutBytes(command: string, args: readonly string[], r: RunResult<Buffer>): Buffer {
  if (r.code !== 0) throw new ProgramFailed(command, args, asText(r));
  return r.stdout;
}

/** Runs a program to its end; a failing program is a result, not an error. */
export async function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return asText(await runBytes(command, args, options));
}

/** Its stdout as bytes (a diff to hash); a failing program rejects with ProgramFailed. */
export async function bytes(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Buffer> {
  return stdoutBytes(command, args, await runBytes(command, args, options));
}

function runBytes(command: string, args: readonly string[], options: RunOptions): Promise<RunResult<Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      // "inherit" is the terminal's, stdin included (ansible-playbook may ask for a password).
      stdio: [
        options.input !== undefined ? "pipe" : options.stdio === "inherit" ? "inherit" : "ignore",
        options.stdio ?? "pipe",
        options.stdio ?? "pipe",
      ],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    const limit = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) child.kill("SIGKILL");
      else into.push(chunk);
    };
    child.stdout?.on("data", keep(out));
    child.stderr?.on("data", keep(err));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill(options.killSignal ?? "SIGTERM");
          }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (size > limit) reject(new Error(`${command} printed more than ${limit} bytes`));
      else
        resolve({
          code,
          signal,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          timedOut,
        });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Its stdout; a failing program rejects with ProgramFailed. */
export async function output(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new ProgramFailed(command, args, result);
  return result.stdout;
}

/**
 * Starts a program the caller drives: a server that keeps running (sshd, PostgreSQL), a child
 * whose streams are piped into another's, or one killed with its whole process group.
 */
export function start(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(command, args, options);
}

/**
 * Whether a program is on PATH: an executable file of that name in one of its folders, as the
 * shell looks it up. Read from the file system, not by starting a shell: `plan` asks this on every
 * run (is ansible-playbook installed?), and a shell costs more than the rest of the question.
 */
export function onPath(program: string): boolean {
  const folders = program.includes("/") ? [""] : (process.env.PATH ?? "").split(path.delimiter);
  return folders.some((folder) => {
    const file = path.resolve(folder, program);
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
