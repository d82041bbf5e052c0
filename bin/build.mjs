#!/usr/bin/env node
// @ts-check
/**
 * Compiles the tool to plain JavaScript in dist/, which is what bin/ebill-ops.mjs runs. Loading
 * the TypeScript through tsx's hooks cost every command more than a second before it did any work.
 * `npm ci` runs this (package.json "prepare"), so a checkout is ready after its usual install.
 *
 *   node bin/build.mjs             build (under a second)
 *   node bin/build.mjs --if-stale  build only when an input changed since the last build
 *   node bin/build.mjs --check     exit 1, naming the file, when dist/ is missing or stale
 *
 * What comes out (measured in bench/startup.ts):
 * - One ES module bundle per entry (dist/cli.js, dist/probe-child.js) and shared chunks beside
 *   them. Node loads a handful of files instead of ~110 modules and ~30 of zod's; its ES module
 *   loader costs about a millisecond per module, close to the whole budget of a command.
 * - zod, js-yaml and pg are compiled in (COMPILED_IN). Every other package stays an import of
 *   node_modules. A module or package the code imports with `await import(...)` (a command's
 *   module, prettier, yaml, js-yaml, pg, playwright-core, esbuild, the upgrade's rollout) is a
 *   chunk of its own, loaded only when that line runs: `validate` loads neither the database's
 *   code nor pg, and a JSON stack's `plan` loads no YAML reader.
 * - `import.meta.dirname` and `import.meta.filename` keep naming the SOURCE file (src/config/ for
 *   src/config/load.ts), so code that finds the repository from its own folder (stacks/,
 *   tasks/ansible/, node_modules/) works the same from src/ and from dist/, whatever the depth.
 *   `import.meta.url` is the running file: a module can tell whether it runs compiled.
 *
 * esbuild, not tsc: it is already a dependency (it bundles .ts stacks), so `npm ci --omit=dev`
 * builds too, and it compiles the tool in well under a second where tsc takes ten or more.
 * Type checking stays `npm run typecheck`.
 */
import { readFile } from "node:fs/promises";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BUILD_INFO, DIST, HELP_FILE, ROOT, sha256, staleReason } from "./build-info.mjs";

/** Output name -> source; each is a program of its own (the CLI, and a child process it starts). */
export const ENTRIES = {
  cli: "src/cli.ts",
  "probe-child": "src/probe/probe-child.ts",
  simulator: "src/simulator/main.ts",
};
/**
 * Compiled in, with what they import: zod (every command that reads a stack needs it), js-yaml
 * (YAML stacks and inventories, a chunk of its own) and pg (plan, apply, drift, history). Node's
 * loader takes a millisecond or more per file of a package; pg is twenty of them, 80 ms to load
 * against 30 ms compiled in.
 */
const COMPILED_IN = new Set(["zod", "js-yaml", "pg"]);
/** Optional parts of pg that this tool never uses; left to a `require` that fails if reached. */
const NEVER_COMPILED_IN = new Set(["pg-native", "pg-cloudflare"]);
/** A change here changes the output (package-lock.json: the versions compiled in). */
const CONFIG_INPUTS = ["bin/build.mjs", "package-lock.json"];

const packageName = (/** @type {string} */ spec) =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

/**
 * Packages stay imports of node_modules, except those compiled in (and what they import). Also
 * used by bench/startup.ts, whose bare database client compiles pg in the same way.
 */
/** @type {import("esbuild").Plugin} */
export const keepPackagesOutside = {
  name: "keep-packages-outside",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageName(args.path);
      const fromCompiledIn = args.importer.includes(`${path.sep}node_modules${path.sep}`);
      if (args.path.startsWith("node:") || NEVER_COMPILED_IN.has(name))
        return { path: args.path, external: true };
      return COMPILED_IN.has(name) || fromCompiledIn ? undefined : { path: args.path, external: true };
    });
    // pg asks whether it runs on Cloudflare Workers by constructing a fetch Response, which on
    // Node 20 (no `navigator` yet) loads all of undici, 30 ms. A Node process is not a Worker.
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => ({
      contents: `var Response = undefined; // bin/build.mjs: not a Cloudflare Worker\n${await readFile(args.path, "utf8")}`,
      loader: "js",
    }));
  },
};

/**
 * Each of the tool's own files that asks learns where its source is: `import.meta.dirname` and
 * `filename` become constants computed (on the file's first line, so line numbers stay) from the
 * URL of the output file that holds it. Every output file sits directly in dist/, so the way back to the
 * source is known when the file is loaded here.
 */
/** @type {import("esbuild").Plugin} */
const sourceLocations = {
  name: "source-locations",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(ROOT + path.sep) || args.path.includes(`${path.sep}node_modules${path.sep}`))
        return undefined;
      const text = await readFile(args.path, "utf8");
      if (!/import\.meta\.(dirname|filename)/.test(text)) return { contents: text, loader: "ts" };
      const back = JSON.stringify(path.relative(DIST, args.path));
      const header =
        `import { fileURLToPath as __ebillOpsPath } from "node:url"; ` +
        `const __ebillOpsSource = new URL(${back}, import.meta.url); ` +
        `const __sourceFilename = __ebillOpsPath(__ebillOpsSource); ` +
        `const __sourceDirname = __ebillOpsPath(new URL(".", __ebillOpsSource)); `;
      return { contents: header + text, loader: "ts" };
    });
  },
};

/** pg is CommonJS: its `require` of Node's own modules needs a real one in an ES module. */
export const REQUIRE_BANNER = `import { createRequire as __ebillOpsRequire } from "node:module"; const require = __ebillOpsRequire(import.meta.url);`;

/** Builds dist/; returns how many of the tool's source files went in. */
export async function build() {
  const { build: esbuild } = await import("esbuild");
  const staging = `${DIST}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const result = await esbuild({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outdir: staging,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      define: { "import.meta.dirname": "__sourceDirname", "import.meta.filename": "__sourceFilename" },
      banner: { js: REQUIRE_BANNER },
      // Stack traces name src/ lines when EBILL_OPS_DEBUG is set (bin/ebill-ops.mjs).
      sourcemap: "linked",
      sourcesContent: false,
      metafile: true,
      logLevel: "warning",
      plugins: [keepPackagesOutside, sourceLocations],
    });
    const own = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("node_modules/"));
    /** @type {import("./build-info.mjs").BuildInfo} */
    const info = { version: 1, inputs: {} };
    for (const rel of [...own, ...CONFIG_INPUTS].sort()) {
      const file = path.join(ROOT, rel);
      const stat = statSync(file);
      info.inputs[rel] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(readFileSync(file)) };
    }
    mkdirSync(staging, { recursive: true });
    // `ebill-ops --help` prints this instead of loading every command (bin/ebill-ops.mjs).
    const { fullHelp } = await import(pathToFileURL(path.join(staging, "cli.js")).href);
    writeFileSync(path.join(staging, HELP_FILE), await fullHelp());
    writeFileSync(path.join(staging, path.basename(BUILD_INFO)), JSON.stringify(info, null, 1) + "\n");
    rmSync(DIST, { recursive: true, force: true });
    renameSync(staging, DIST);
    return own.length;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = process.argv[2];
  if (mode === "--check") {
    const reason = staleReason();
    if (reason) {
      process.stderr.write(`ebill-ops: ${reason}; run 'npm run build' (npm ci does it)\n`);
      process.exitCode = 1;
    } else process.stdout.write("dist/ is fresh\n");
  } else if (mode === "--if-stale" && staleReason() === null) {
    process.stdout.write("dist/ is fresh\n");
  } else if (mode === undefined || mode === "--if-stale") {
    const started = performance.now();
    const count = await build();
    process.stdout.write(
      `built dist/ from ${count} files in ${Math.round(performance.now() - started)} ms\n`,
    );
  } else {
    process.stderr.write("usage: node bin/build.mjs [--if-stale | --check]\n");
    process.exitCode = 1;
  }
}
