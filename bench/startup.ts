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
async function noChangePlan(bin: string, dir: string): Promise<{ case: Case; stop(): Promise<void> }> {
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
    case: {
      name: "plan, no changes (database)",
      args: [bin, "plan", "--stack", stack],
      env,
      expectExit: 0,
      target: 3,
    },
    stop: db.stop,
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
    if (opts.db) {
      const plan = await noChangePlan(opts.bin, dir);
      stops.push(plan.stop);
      cases.push(plan.case);
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
    const rows = cases.map((c) => {
      const wall = median(samples.get(c)!.map((s) => s.wallMs));
      const cpu = median(samples.get(c)!.map((s) => s.cpuMs));
      const ratio = wall / floorWall;
      return [
        c.name,
        `${wall.toFixed(0)} ms`,
        `${cpu.toFixed(0)} ms`,
        `${ratio.toFixed(2)}x`,
        `${(cpu / floorCpu).toFixed(2)}x`,
        c.target === undefined ? "" : `<= ${c.target}x ${ratio <= c.target ? "met" : "NOT MET"}`,
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
