/**
 * Start-up benchmark (not a test): what a command pays before and around its work, against the
 * floor measured in the same run, `node -e 0` (starting Node at all). Issue 13's targets: the
 * fixed cost of any command at most 3x the floor for a JSON stack, 5x for a .ts stack.
 *
 *   npm run bench:startup                      # 15 runs of each case
 *   npx tsx bench/startup.ts --runs 30 --no-db
 *   npx tsx bench/startup.ts --bin /elsewhere/bin/ebill-ops.mjs   # another checkout (before/after)
 *
 * Cases, each `node bin/ebill-ops.mjs ...` as a user runs it:
 * - `--help`: loading the tool and nothing else;
 * - `validate --stack <JSON>`: the sandbox stack as evaluated JSON (what the pull-request plan job
 *   reads): read, schema, rules;
 * - `validate --stack stacks/sandbox.ts`: a .ts stack, bundled and evaluated in the contained child
 *   process (src/config/evaluate-ts.ts), then the same checks;
 * - `plan` with no changes: the test fixture's stack (test/fixtures/stacks/sandbox.ts) as JSON,
 *   applied to a throw-away PostgreSQL, then planned again: connecting, the lock, one snapshot read
 *   of a small database, the diff. The hosts are left out (no test hosts named), as in the
 *   database tests.
 * - its database floor: a bare node-postgres program (one compiled file) that connects with the
 *   plan's settings and sends the statements one plan sent, recorded from the tool's planDatabase.
 *   Starting a backend, SCRAM and the server's first reads of its catalog are the server's time
 *   whoever asks; the plan's own cost (its fixed cost, the issue's "before any work") is the plan
 *   less the bare client's time beyond `node -e 0`, computed run by run, and is what the 3x target
 *   judges. The plan's wall time over `node -e 0` is printed too.
 *
 * The cases run interleaved (one of each, then again), so a busy machine slows them alike; the
 * median of the runs is printed, wall time and CPU time (user + system of the command and every
 * process it started; steadier than wall time when other work shares the cores).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FIXTURE_TODAY } from "../test/harness/fixture-stacks.ts";
import { outputSync, runSync } from "../src/base/exec.ts";

const REPO = path.resolve(import.meta.dirname, "..");

interface Options {
  runs: number;
  db: boolean;
  bin: string;
}

function options(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(value("--runs") ?? 15);
  if (!Number.isInteger(runs) || runs < 3) throw new Error("--runs takes a whole number, at least 3");
  return {
    runs,
    db: !argv.includes("--no-db"),
    bin: path.resolve(value("--bin") ?? path.join(REPO, "bin/ebill-ops.mjs")),
  };
}

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Ratio to the floor this case should stay within (issue 13). */
  target?: number;
  expectExit: number;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/**
 * One run under bash: its clock around the command (so bash's own start is not counted) and
 * `times`, the CPU time of the children it waited for, which includes their descendants.
 */
const TIMED =
  's=$EPOCHREALTIME; "$@" >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME; times; echo "$s $e"; exit $rc';

function seconds(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  if (!m) throw new Error(`cannot read '${text}' from bash's times`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function runOnce(c: Case, cwd: string): Sample {
  const result = runSync("bash", ["-c", TIMED, "bash", process.execPath, ...c.args], {
    cwd,
    env: c.env ?? process.env,
  });
  if (result.code !== c.expectExit)
    throw new Error(`${c.name}: exit ${result.code}, expected ${c.expectExit}; run it by hand to see why`);
  const lines = result.stdout.trim().split("\n");
  const [user, system] = lines[1]!.trim().split(/\s+/).map(seconds);
  const [start, end] = lines[2]!.split(" ").map(Number);
  return { wallMs: (end! - start!) * 1000, cpuMs: (user! + system!) * 1000 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The fixture stack applied to a throw-away PostgreSQL, so that planning it changes nothing. */
async function noChangePlan(
  bin: string,
  dir: string,
): Promise<{ bare: Case; plan: Case; stop(): Promise<void> }> {
  const { startSandboxDatabase } = await import("../test/harness/postgres.ts");
  const db = await startSandboxDatabase();
  const stack = path.join(dir, "fixture.json");
  await writeFile(stack, JSON.stringify(db.env, null, 2) + "\n");
  const env = {
    ...process.env,
    ...db.server.env,
    EBILL_OPS_TODAY: FIXTURE_TODAY,
    // No test hosts: the plan is the database's (the hosts source says it skipped them).
    EBILL_OPS_HOSTS_STATE: path.join(dir, "no-hosts", "state.json"),
    NO_COLOR: "1",
  };
  outputSync(process.execPath, [bin, "apply", "--stack", stack, "--yes"], { env });
  return {
    bare: await bareDatabaseClient(stack, dir, env),
    plan: { name: "plan, no changes (database)", args: [bin, "plan", "--stack", stack], env, expectExit: 0 },
    stop: db.stop,
  };
}

/**
 * The floor of the plan's database work: a program that is nothing but node-postgres (compiled
 * into one file as dist/ has it) connecting as the plan does (same settings) and sending, one by
 * one, the statements one plan sent (recorded in this process from the tool's own planDatabase),
 * then ending. What the plan takes beyond it is the tool's own cost.
 */
async function bareDatabaseClient(stack: string, dir: string, env: NodeJS.ProcessEnv): Promise<Case> {
  Object.assign(process.env, env); // the stack's password is resolved from it
  const { loadStack } = await import("../src/config/load.ts");
  const { connect, connectionConfig } = await import("../src/db/connect.ts");
  const { planDatabase } = await import("../src/db/source.ts");
  const loaded = await loadStack(stack, { today: new Date(FIXTURE_TODAY) });
  if (!loaded.ok) throw new Error(`the fixture stack does not load: ${JSON.stringify(loaded.issues)}`);
  const statements: { text: string; values?: unknown[] }[] = [];
  const client = await connect(loaded.env);
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const [first, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    statements.push(
      typeof first === "string" ? { text: first, values } : { text: first.text, values: first.values },
    );
    return send(...args);
  }) as typeof client.query;
  try {
    await planDatabase(client, loaded.env);
  } finally {
    await client.end();
  }
  const { password: _secret, ...config } = connectionConfig(loaded.env);
  const recording = path.join(dir, "statements.json");
  await writeFile(recording, JSON.stringify({ config, statements }));
  const { build } = await import("esbuild");
  const { keepPackagesOutside, REQUIRE_BANNER } = await import("../bin/build.mjs");
  const program = path.join(dir, "bare-client.mjs");
  await build({
    stdin: {
      contents: `import pg from "pg";
import { readFileSync } from "node:fs";
const { config, statements } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const client = new pg.Client({ ...config, password: process.env.EBILL_DB_PASSWORD });
await client.connect();
for (const s of statements) await client.query(s.text, s.values);
await client.end();`,
      resolveDir: REPO,
      sourcefile: "bare-client.mjs",
    },
    outfile: program,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    banner: { js: REQUIRE_BANNER },
    plugins: [keepPackagesOutside],
    logLevel: "warning",
  });
  return {
    name: `bare pg client: the plan's statements (${statements.length})`,
    args: [program, recording],
    env,
    expectExit: 0,
  };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const ownBin = opts.bin === path.join(REPO, "bin/ebill-ops.mjs");
  if (ownBin)
    outputSync(process.execPath, [path.join(REPO, "bin/build.mjs"), "--if-stale"], { stdio: "inherit" });
  // The stacks of the checkout whose tool is measured (another one's with --bin).
  const checkout = path.resolve(path.dirname(opts.bin), "..");
  const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-bench-startup-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    // The sandbox stack as the pull-request job reads it: evaluated once, then plain JSON.
    outputSync(process.execPath, [opts.bin, "validate", "--stack", "stacks/sandbox.ts", "--out-dir", dir], {
      cwd: checkout,
    });
    const json = path.join(dir, "sandbox.json");
    const cases: Case[] = [
      { name: "node -e 0 (the floor)", args: ["-e", "0"], expectExit: 0 },
      { name: "--help", args: [opts.bin, "--help"], expectExit: 0, target: 3 },
      {
        name: "validate --stack <JSON>",
        args: [opts.bin, "validate", "--stack", json],
        expectExit: 0,
        target: 3,
      },
      {
        name: "validate --stack stacks/sandbox.ts",
        args: [opts.bin, "validate", "--stack", "stacks/sandbox.ts"],
        expectExit: 0,
        target: 5,
      },
    ];
    // The plan's case and its database floor, whose difference is the plan's own cost.
    const database = opts.db ? await noChangePlan(opts.bin, dir) : undefined;
    if (database) {
      stops.push(database.stop);
      cases.push(database.bare, database.plan);
    }
    // Running from src/ would measure the fallback, not the tool: say so instead.
    const help = runSync(process.execPath, [opts.bin, "--help"]);
    if (/runs from src\//.test(help.stderr)) throw new Error(`the tool ran from src/: ${help.stderr.trim()}`);

    console.log(
      `start-up benchmark: ${opts.bin}\nnode ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; ${opts.runs} runs of each case, interleaved, medians`,
    );
    for (const c of cases) runOnce(c, checkout); // warm the page cache
    const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
    for (let i = 0; i < opts.runs; i++) for (const c of cases) samples.get(c)!.push(runOnce(c, checkout));

    const floor = samples.get(cases[0]!)!;
    const floorWall = median(floor.map((s) => s.wallMs));
    const floorCpu = median(floor.map((s) => s.cpuMs));
    const lines = cases.map((c) => ({ name: c.name, target: c.target, samples: samples.get(c)! }));
    if (database) {
      // Run by run (the cases of one run ran back to back): the plan less its database floor's
      // work, i.e. less the bare client's time beyond starting node.
      const own = samples.get(database.plan)!.map((p, i) => {
        const b = samples.get(database.bare)![i]!;
        const f = floor[i]!;
        return { wallMs: p.wallMs - b.wallMs + f.wallMs, cpuMs: p.cpuMs - b.cpuMs + f.cpuMs };
      });
      lines.push({ name: "plan's own cost (plan - bare client + node)", target: 3, samples: own });
    }
    const rows = lines.map((line) => {
      const wall = median(line.samples.map((s) => s.wallMs));
      const cpu = median(line.samples.map((s) => s.cpuMs));
      const ratio = wall / floorWall;
      return [
        line.name,
        `${wall.toFixed(0)} ms`,
        `${cpu.toFixed(0)} ms`,
        `${ratio.toFixed(2)}x`,
        `${(cpu / floorCpu).toFixed(2)}x`,
        line.target === undefined ? "" : `<= ${line.target}x ${ratio <= line.target ? "met" : "NOT MET"}`,
      ];
    });
    const header = ["case", "wall", "CPU", "wall / floor", "CPU / floor", "target (wall)"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      console.log(
        row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
      );
  } finally {
    for (const stop of stops) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
