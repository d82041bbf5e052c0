/**
 * A `.ts` stack is code; this turns it into plain data without running it in the tool's process.
 *
 * 1. Bundle (esbuild, in the tool): the stack and everything it imports become one ES module.
 *    Bundling parses, it never runs the code. Every import is checked on the way (inside the
 *    stack's project or this repository, no hidden files, .ts/.js/.json only, all of it within
 *    MAX_STACK_BYTES), syntax errors keep their file:line:column, and a stack outside a
 *    `"type": "module"` folder loads like any other.
 * 2. Run (unprivileged.ts): the bundle runs in a contained child process with no secret in reach,
 *    a time limit and a memory limit, and writes `JSON.stringify(default export)` to a file.
 * 3. The tool reads that JSON back and validates exactly it, and only it is used afterwards:
 *    `toJSON`, getters and `process.exit()` can change what the child hands over, never the
 *    difference between what is checked and what is applied.
 */
import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Message, OnLoadResult, Plugin } from "esbuild";
import { countJsonKeys, inspectDocument, locateDuplicateKeys, parseJson } from "./document.ts";
import {
  allowedRoots,
  assertInside,
  MAX_STACK_BYTES,
  readRegularFile,
  shownPath,
  StackFileError,
  TOOL_ROOT,
} from "./stack-file.ts";
import { runContained } from "./unprivileged.ts";

/**
 * A real stack evaluates in about a second (a 100,000-row catalog in a few, on a busy machine);
 * one still running after a minute is stuck.
 */
export const STACK_TIMEOUT_MS = 60_000;
/** V8 heap of the evaluating process; a 100,000-row catalog needs about a quarter of it. */
export const STACK_MEMORY_MB = 512;

export interface EvaluateOptions {
  timeoutMs?: number;
  memoryMb?: number;
}

export type Evaluation = { ok: true; json: string } | { ok: false; message: string };

const LOADERS: Record<string, "ts" | "js" | "json"> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".json": "json",
};

/**
 * Reads the default export and answers on the first line `ok` or `problem`, then the data. It
 * starts while the stack is still being bundled and waits for the tool's line on stdin (the stack's
 * files are written then) before it imports anything of the stack.
 */
const RUNNER = `import { writeFileSync } from "node:fs";
const stringify = JSON.stringify;
const answerFile = new URL("./answer.txt", import.meta.url);
const answer = (kind, text) => writeFileSync(answerFile, kind + "\\n" + text);
await new Promise((resolve) => {
  process.stdin.once("data", resolve);
  process.stdin.once("end", resolve);
});
process.stdin.destroy();
let declaration;
try {
  const mod = await import("./stack.mjs");
  if (mod.default === undefined) {
    answer("problem", stringify({ kind: "no-default" }));
    process.exit(0);
  }
  declaration = stringify(mod.default);
  if (declaration === undefined) {
    answer("problem", stringify({ kind: "not-data", detail: typeof mod.default }));
    process.exit(0);
  }
} catch (error) {
  const detail = error instanceof Error ? String(error.stack ?? error.message) : String(error);
  answer("problem", stringify({ kind: "threw", detail }));
  process.exit(0);
}
answer("ok", declaration);
process.exit(0);
`;

function locate(message: Message): string {
  const at = message.location;
  if (!at) return message.text;
  const file = shownPath(path.resolve(process.cwd(), at.file.replace(/^stack:/, "")));
  return `${file}:${at.line}:${at.column + 1}: ${message.text}`;
}

/** This tool's installed packages (zod): trusted, and loaded by esbuild itself, which is faster. */
const TRUSTED_PACKAGES = path.join(TOOL_ROOT, "node_modules") + path.sep;

/** Problems found while bundling become one message; esbuild's own text names what it could not do. */
function asErrors(error: unknown) {
  return { errors: [{ text: error instanceof Error ? error.message : String(error) }] };
}

/**
 * A JSON file a stack imports (a catalog of 100,000 rows is likely one) is checked here like a
 * .json stack (syntax, keys written twice, nesting) and handed to the child as a data file next to
 * the bundle, read by JSON.parse when the stack imports it. Through esbuild a 16 MB catalog takes
 * seconds (it becomes a JavaScript literal); this way it takes what JSON.parse takes.
 */
async function jsonModule(file: string, bytes: Buffer, data: Map<string, string>): Promise<OnLoadResult> {
  const shown = shownPath(file);
  const text = bytes.toString("utf8");
  const parsed = parseJson(text, shown);
  if (!parsed.ok) return asErrors(`${shown}: ${parsed.issues[0]!.message}`);
  const inspection = inspectDocument(parsed.value, shown, bytes.length);
  const fatal = inspection.fatal ? inspection.issues.at(-1) : undefined;
  if (fatal) return asErrors(`${shown}: ${fatal.path}: ${fatal.message}`);
  if (countJsonKeys(text) !== inspection.objectKeys) {
    const duplicate = (await locateDuplicateKeys(text, shown))[0];
    if (duplicate) return asErrors(`${shown}: ${duplicate.path}: ${duplicate.message}`);
  }
  const name = `data-${data.size}.json`;
  data.set(name, text);
  return {
    contents: [
      `import { readFileSync } from "node:fs";`,
      `export default JSON.parse(readFileSync(new URL(${JSON.stringify("./" + name)}, import.meta.url), "utf8"));`,
    ].join("\n"),
    loader: "js",
  };
}

/** The stack and its imports as one ES module, or the first problem found while bundling. */
async function bundle(
  entry: string,
): Promise<{ ok: true; code: string; data: Map<string, string> } | { ok: false; message: string }> {
  const { build } = await import("esbuild");
  const roots = await allowedRoots(entry);
  const realEntry = await realpath(entry);
  assertInside(realEntry, roots, "this path");
  const data = new Map<string, string>();
  const guard = stackFilesGuard(realEntry, roots, data);
  try {
    const result = await build({
      entryPoints: ["ebill-ops:stack"],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      // Source maps point error locations back at the stack's files (Node maps them in the child).
      outfile: "/stack.mjs",
      sourcemap: "inline",
      sourceRoot: "/",
      sourcesContent: false,
      logLevel: "silent",
      plugins: [guard],
    });
    // Two keys of one object literal: a reviewer reads the first, JavaScript keeps the last.
    const duplicate = result.warnings.find((w) => w.id === "duplicate-object-key");
    if (duplicate)
      return {
        ok: false,
        message: `${locate(duplicate)}; a reviewer reads the first, the tool would use the last: keep one`,
      };
    return { ok: true, code: result.outputFiles[0]!.text, data };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (!errors || errors.length === 0) throw error;
    return { ok: false, message: `cannot compile: ${errors.map(locate).join("; ")}` };
  }
}

/**
 * The esbuild plugin that reads a stack's own files: every import they make and every byte they
 * read is checked (inside the allowed roots, a known kind of file, within the size budget); JSON
 * files are collected in `data`.
 */
function stackFilesGuard(realEntry: string, roots: string[], data: Map<string, string>): Plugin {
  let budget = MAX_STACK_BYTES;
  // The stack's own files live in the "stack" namespace: every import they make and every byte
  // they read passes the checks below. Imports inside trusted packages never reach this plugin.
  return {
    name: "stack-files",
    setup(build) {
      build.onResolve({ filter: /^ebill-ops:stack$/ }, () => ({ path: realEntry, namespace: "stack" }));
      build.onResolve({ filter: /.*/, namespace: "stack" }, async (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        try {
          const real = await realpath(resolved.path);
          if (real.startsWith(TRUSTED_PACKAGES)) return { path: real };
          assertInside(real, roots, `the import '${args.path}'`);
          if (!(path.extname(real) in LOADERS))
            throw new StackFileError(
              `the import '${args.path}' is a ${path.extname(real) || "file without extension"}; a stack may import only .ts, .js and .json files`,
            );
          return { path: real, namespace: "stack" };
        } catch (error) {
          return asErrors(error);
        }
      });
      build.onLoad({ filter: /.*/, namespace: "stack" }, async (args) => {
        try {
          const bytes = await readRegularFile(args.path, shownPath(args.path), budget);
          budget -= bytes.length;
          if (path.extname(args.path) === ".json") return await jsonModule(args.path, bytes, data);
          return {
            contents: bytes,
            loader: LOADERS[path.extname(args.path)]!,
            resolveDir: path.dirname(args.path),
          };
        } catch (error) {
          if (error instanceof StackFileError && /at most/.test(error.message))
            return asErrors(
              `${error.message.replace(/; a stack.*/, "")}: the stack with its imports would be more than ${MAX_STACK_BYTES / 1024 / 1024} MB, far beyond a real hospital's; is this the right file?`,
            );
          return asErrors(error);
        }
      });
    },
  };
}

/**
 * Locations in a (source-mapped) stack trace become paths as the user knows them: files of the
 * "stack" namespace come out as `/stack:/abs/path.ts`, others as `file:///abs/path.ts`.
 */
function showLocations(text: string): string {
  return text
    .replace(/file:\/\/\/[^\s:)]+(:\/[^\s:)]+)?/g, (url) => {
      try {
        return fileURLToPath(url);
      } catch {
        return url;
      }
    })
    .replace(/\/stack:(\/[^\s:)]+)/g, (_, file: string) => shownPath(file));
}

/** The first lines of a stack trace that point into the stack's own files, not the runner. */
function summariseThrow(detail: string): string {
  const lines = showLocations(detail).split("\n");
  const where = lines.find(
    (l) => /^\s+at /.test(l) && !/node:internal|\/work\/run\.mjs|\/stack\.mjs/.test(l),
  );
  const location = where?.match(/\(?([^\s()]+:\d+:\d+)\)?$/)?.[1];
  return location ? `${location}: ${lines[0]}` : lines[0]!;
}

function lastLines(output: string, count = 5): string {
  const lines = output.trim().split("\n").filter(Boolean);
  return lines.length === 0 ? "" : `; its last output: ${showLocations(lines.slice(-count).join(" | "))}`;
}

const OUT_OF_MEMORY = /heap out of memory|allocation failed|Cannot allocate memory/i;
const outOfMemory = (memoryMb: number) =>
  `the stack needed more than the ${memoryMb} MB of memory allowed while it was evaluated and was stopped; a real stack needs far less`;

const cache = new Map<string, string>();

/** What identifies an evaluation's answer: the bundle, its data, the clock and zone, the memory. */
function cacheKey(bundled: { code: string; data: Map<string, string> }, memoryMb: number): string {
  const hash = createHash("sha256");
  for (const part of [
    bundled.code,
    ...bundled.data.values(),
    process.env.TZ,
    process.env.EBILL_OPS_TODAY,
    memoryMb,
  ])
    hash.update(String(part ?? "") + "\0");
  return hash.digest("hex");
}

/**
 * Evaluates a `.ts` stack to its JSON text, contained. The same bundle under the same clock and
 * zone gives the same answer, so one process evaluates it once. The contained child starts while
 * esbuild bundles the stack, so Node's start-up there and the bundling overlap (about 0.1 s of the
 * 0.45 s a `validate` of the sandbox stack took one after the other).
 */
export async function evaluateTsStack(file: string, options: EvaluateOptions = {}): Promise<Evaluation> {
  const timeoutMs = options.timeoutMs ?? STACK_TIMEOUT_MS;
  const memoryMb = options.memoryMb ?? STACK_MEMORY_MB;
  const bundling = bundle(file);
  let key = "";
  const files = bundling.then((bundled) => {
    if (!bundled.ok || cache.has((key = cacheKey(bundled, memoryMb)))) return null;
    return { ...Object.fromEntries(bundled.data), "stack.mjs": bundled.code };
  });
  const running = runContained({
    script: { name: "run.mjs", text: RUNNER },
    files,
    resultFile: "answer.txt",
    timeoutMs,
    memoryMb,
    maxResultBytes: MAX_STACK_BYTES + 16,
  }).then(
    (outcome) => ({ outcome }),
    (error: Error) => ({ error }),
  );
  // A stack that does not compile says so, whatever became of the child.
  const bundled = await bundling;
  if (!bundled.ok) return bundled;
  const cached = cache.get(key);
  if (cached !== undefined) return { ok: true, json: cached };
  const ran = await running;
  if ("error" in ran)
    return {
      ok: false,
      message: `the stack evaluator could not start (${ran.error.message}); node must be installed where the unprivileged user can run it (e.g. Debian's /usr/bin/node)`,
    };
  const outcome = ran.outcome;
  if (outcome.status === "cancelled")
    throw new Error("the stack's evaluation was cancelled though it compiled");
  if (outcome.status === "timeout")
    return {
      ok: false,
      message: `the stack did not finish within ${timeoutMs / 1000} s and was stopped (an endless loop, a timer or a promise that never settles?); a stack only declares data`,
    };
  if (outcome.resultProblem) return { ok: false, message: outcome.resultProblem };
  if (OUT_OF_MEMORY.test(outcome.output)) return { ok: false, message: outOfMemory(memoryMb) };
  const answer = outcome.result?.toString("utf8");
  if (answer === undefined || outcome.code !== 0) {
    const how = outcome.signal ? `was killed (${outcome.signal})` : `exited with code ${outcome.code}`;
    const why =
      outcome.code === 0
        ? "ended its process (exit 0) before handing over its declaration; a stack must not call process.exit()"
        : `${how} before handing over its declaration`;
    return { ok: false, message: `the stack ${why}${lastLines(outcome.output)}` };
  }
  const newline = answer.indexOf("\n");
  const kind = answer.slice(0, newline);
  const text = answer.slice(newline + 1);
  if (kind === "ok") {
    cache.set(key, text);
    return { ok: true, json: text };
  }
  let problem: { kind?: string; detail?: string };
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    return { ok: false, message: "the stack's process handed back something that is not a declaration" };
  }
  if (problem.kind === "no-default")
    return { ok: false, message: "a .ts stack must `export default defineEnvironment({...})`" };
  if (problem.kind === "not-data")
    return {
      ok: false,
      message: `the default export is a ${problem.detail}, not data; export the declaration: \`export default defineEnvironment({...})\``,
    };
  const detail = problem.detail ?? "";
  if (OUT_OF_MEMORY.test(detail)) return { ok: false, message: outOfMemory(memoryMb) };
  return { ok: false, message: `the stack failed while it was evaluated: ${summariseThrow(detail)}` };
}
