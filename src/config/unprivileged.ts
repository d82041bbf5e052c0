/**
 * Running code we do not trust (a stack's) in a separate, contained Node.js process.
 *
 * - Identity: when the tool runs as root the child runs as an unprivileged user
 *   (EBILL_OPS_STACK_USER, default `nobody`), so it can read neither root's files nor the secret
 *   files, nor /proc/<tool>/environ. As another user it runs as that same user (nothing else is
 *   possible without privileges): the environment is still clean, but files that user can read
 *   stay readable. docs/trust-model.md says which jobs may evaluate untrusted stacks for this reason.
 * - Environment: built from nothing (PATH, HOME, TZ, EBILL_OPS_TODAY = the tool's now(), LANG, NODE_OPTIONS); no
 *   variable of the tool's own environment, where CI puts the secrets, reaches the child.
 * - Namespaces (util-linux `unshare`, when the kernel allows it): its own PID namespace, so every
 *   process it starts, even one that detached into a session of its own, dies with it; no network;
 *   a /proc that shows only its own processes. Without them the process group is killed instead,
 *   which a process that started its own session escapes.
 * - Limits: wall-clock time, V8 heap (`--max-old-space-size`) and address space (`prlimit`), and
 *   the size of what it hands back.
 * - Files: a private work folder holding only what it is given; the tool reads back one result
 *   file, never following a link and never a special file.
 */
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readRegularFile, StackFileError } from "./stack-file.ts";
import { outputSync, runSync, start } from "../base/exec.ts";
import { now } from "../base/time.ts";

export interface ContainedRun {
  /**
   * The script node runs, written before the child starts. It must wait for a line on its stdin
   * before it reads any of `files`: the line comes once they are written.
   */
  script: { name: string; text: string };
  /**
   * Files for the private work folder, by name, which may still be in the making while the child
   * starts (Node's own start-up then overlaps it). null: nothing to run after all; the child is
   * stopped and the outcome is "cancelled".
   */
  files: Promise<Record<string, string> | null>;
  /** File the child writes its answer to, read back after it ends. */
  resultFile: string;
  timeoutMs: number;
  /** V8 heap limit of the child, in MB. */
  memoryMb: number;
  maxResultBytes: number;
}

export type ContainedOutcome =
  | {
      status: "exited";
      code: number | null;
      signal: NodeJS.Signals | null;
      result: Buffer | null;
      resultProblem: string | null;
      output: string;
    }
  | { status: "timeout"; output: string }
  | { status: "cancelled" };

/** What the child's stdout and stderr keep (the end of it) for error messages. */
const KEPT_OUTPUT_BYTES = 16 * 1024;
const NAMESPACE_FLAGS = ["--user", "--pid", "--net", "--ipc", "--fork", "--kill-child", "--mount-proc"];

export interface Identity {
  name: string;
  uid: number;
  gid: number;
}

let identityCache: Identity | null | undefined;

/** The user stack code runs as when the tool is root; null when the tool is not root. */
export function stackIdentity(): Identity | null {
  if (identityCache !== undefined) return identityCache;
  if (process.getuid?.() !== 0) return (identityCache = null);
  const name = process.env.EBILL_OPS_STACK_USER || "nobody";
  const lookup = (flag: string) => {
    try {
      return Number(outputSync("id", [flag, name]).trim());
    } catch {
      throw new Error(
        `the user '${name}' that stack code runs as does not exist; create it or set EBILL_OPS_STACK_USER to an unprivileged user`,
      );
    }
  };
  const identity = { name, uid: lookup("-u"), gid: lookup("-g") };
  if (identity.uid === 0 || identity.gid === 0)
    throw new Error(`EBILL_OPS_STACK_USER='${name}' is root; stack code must run as an unprivileged user`);
  return (identityCache = identity);
}

let namespacesCache: boolean | undefined;

/** Whether `unshare` can give the child its own user, PID, network and IPC namespaces here. */
export function namespacesAvailable(identity: Identity | null = stackIdentity()): boolean {
  if (namespacesCache !== undefined) return namespacesCache;
  try {
    const probe = runSync("unshare", [...NAMESPACE_FLAGS, "true"], {
      stdio: "ignore",
      timeoutMs: 5_000,
      cwd: "/",
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
    });
    return (namespacesCache = probe.code === 0);
  } catch {
    // No unshare here (util-linux missing): the process group is killed instead.
    return (namespacesCache = false);
  }
}

/** The environment of the child, built from nothing: only what evaluating a stack needs. */
function childEnvironment(home: string, memoryMb: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    // Also limits any node process the stack code starts.
    NODE_OPTIONS: `--max-old-space-size=${memoryMb}`,
  };
  // A stack may read the clock (the year in operation): the child must see the tool's own "now",
  // also when that comes from a faked clock (libfaketime's variables are not passed on).
  if (process.env.TZ !== undefined) env.TZ = process.env.TZ;
  env.EBILL_OPS_TODAY = process.env.EBILL_OPS_TODAY ?? now().toISOString();
  return env;
}

/**
 * Address space for the child: the heap plus what Node reserves at start (about 1 GB of mostly
 * untouched virtual memory). Caps buffers outside the V8 heap.
 */
function addressSpaceBytes(memoryMb: number): number {
  return (memoryMb * 2 + 1024) * 1024 * 1024;
}

function keepTail(chunks: Buffer[], chunk: Buffer, total: { bytes: number }): void {
  chunks.push(chunk);
  total.bytes += chunk.length;
  while (total.bytes - chunks[0]!.length > KEPT_OUTPUT_BYTES) total.bytes -= chunks.shift()!.length;
}

/**
 * Runs `node <script>` contained, in a private folder that is removed afterwards. The child starts
 * at once and is told to go on when `run.files` are written; its time limit counts from then.
 */
export async function runContained(run: ContainedRun): Promise<ContainedOutcome> {
  const identity = stackIdentity();
  // The outer folder is the tool's, so the child cannot swap the work folder for a link; the
  // inner one is the child's own.
  const outer = await mkdtemp(path.join(os.tmpdir(), "ebill-ops-stack-"));
  try {
    const work = await workFolder(outer, identity);
    await writeFiles(work, { [run.script.name]: run.script.text }, identity);
    const child = startContained(work, run, identity);
    const files = await run.files.catch((error: unknown) => {
      child.stop();
      throw error;
    });
    if (files === null) {
      child.stop();
      await child.ended;
      return { status: "cancelled" };
    }
    await writeFiles(work, files, identity);
    const ended = await child.go(run.timeoutMs);
    if (ended.timedOut) return { status: "timeout", output: ended.output };
    return {
      status: "exited",
      code: ended.code,
      signal: ended.signal,
      ...(await readAnswer(work, run)),
      output: ended.output,
    };
  } finally {
    await rm(outer, { recursive: true, force: true });
  }
}

interface ContainedChild {
  /** Tells the child to go on, then waits for its end (killed at the time limit). */
  go(timeoutMs: number): Promise<Ended>;
  stop(): void;
  ended: Promise<Ended>;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

function startContained(work: string, run: ContainedRun, identity: Identity | null): ContainedChild {
  const node = [
    "prlimit",
    `--as=${addressSpaceBytes(run.memoryMb)}`,
    "--core=0",
    "--",
    process.execPath,
    "--enable-source-maps",
    run.script.name,
  ];
  const [command, ...args] = namespacesAvailable(identity)
    ? ["unshare", ...NAMESPACE_FLAGS, "--", ...node]
    : node;
  const child = start(command!, args, {
    cwd: work,
    env: childEnvironment(work, run.memoryMb),
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group, so everything it started can be killed at once.
    detached: true,
    ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
  });
  // A child that ended before it was told to go: the write fails, its end says why.
  child.stdin!.on("error", () => undefined);
  const kept: Buffer[] = [];
  const total = { bytes: 0 };
  child.stdout!.on("data", (chunk: Buffer) => keepTail(kept, chunk, total));
  child.stderr!.on("data", (chunk: Buffer) => keepTail(kept, chunk, total));
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  })
    .finally(() => {
      clearTimeout(timer);
      // Whatever it left behind in its group goes too (with namespaces the kernel already did it).
      stop();
    })
    .then((end) => ({ ...end, timedOut, output: Buffer.concat(kept).toString("utf8") }));
  // Awaited by go() or a cancel; a child stopped because its files could not be made is not.
  ended.catch(() => undefined);
  return {
    ended,
    stop,
    go(timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutMs);
      child.stdin!.end("go\n");
      return ended;
    },
  };
}

/** The child's work folder inside `outer`, owned by the child's user. */
async function workFolder(outer: string, identity: Identity | null): Promise<string> {
  await chmod(outer, 0o711);
  const work = path.join(outer, "work");
  await mkdir(work, { mode: 0o700 });
  if (identity) await chown(work, identity.uid, identity.gid);
  return work;
}

/** Files into the work folder, readable by the child's user only. */
async function writeFiles(
  work: string,
  files: Record<string, string>,
  identity: Identity | null,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(work, name), content, { mode: 0o600 });
    if (identity) await chown(path.join(work, name), identity.uid, identity.gid);
  }
}

/** The answer file the child wrote, read as untrusted (a regular file, no link, within its size). */
async function readAnswer(
  work: string,
  run: ContainedRun,
): Promise<{ result: Buffer | null; resultProblem: string | null }> {
  try {
    const result = await readRegularFile(
      path.join(work, run.resultFile),
      "the answer of the stack",
      run.maxResultBytes,
      {
        noFollow: true,
      },
    );
    return { result, resultProblem: null };
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error;
    return { result: null, resultProblem: /file not found/.test(error.message) ? null : error.message };
  }
}
