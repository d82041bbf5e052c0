#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (built by `npm ci`, or `npm run build`): plain
// Node loads it in a fraction of the time TypeScript through a loader takes. When a source changed
// since the build, dist/ would run old code, so the sources run instead, through tsx, with a note
// saying how to make it fast again: slower, never wrong.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DIST, HELP_FILE, staleReason } from "./build-info.mjs";

if (process.env.EBILL_OPS_DEBUG) process.setSourceMapsEnabled(true);
// `ebill-ops history | head`: once the reader is gone, further output is dropped instead of a
// crash with a stack trace, and the command still finishes what it started (an apply piped to a
// closed pager must not die half-way). Other stream errors stay fatal.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
const stale = staleReason();
const argv = process.argv.slice(2);

/** The full help the build wrote (listing every command would load them all), or null. */
function builtHelp() {
  try {
    return readFileSync(path.join(DIST, HELP_FILE), "utf8");
  } catch {
    return null;
  }
}

const help = stale === null && argv.length === 1 && ["--help", "-h"].includes(argv[0]) ? builtHelp() : null;
let cli;
if (help !== null) process.stdout.write(help);
else if (stale === null) cli = await import("../dist/cli.js");
else {
  process.stderr.write(
    `ebill-ops: ${stale}, so this runs from src/ (slower); 'npm run build' makes it fast again\n`,
  );
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("../src/cli.ts");
}
if (cli) process.exitCode = await cli.main(argv);
