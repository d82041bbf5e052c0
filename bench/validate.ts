/**
 * Validation benchmark (not a test): real hospital catalog sizes through the loader, each case in
 * a fresh process so its peak memory is its own.
 *
 *   npm run bench:validate            # every case
 *   npx tsx bench/validate.ts mappings-100k stock-scaling
 *
 * Cases:
 * - mappings-100k: the sandbox stack plus 100,000 charge-item mappings (收费项目对照) as JSON:
 *   read + parse + checks, schema, rules, and `loadStack` as a whole. Target: ≤ 1 s, ≤ 400 MB.
 * - stock-20k: 20,000 stock ranges (票据号段), the same measures.
 * - mappings-100k-ts: the same 100,000 rows as a .ts stack importing its catalog (bundled and
 *   evaluated in the contained child process), end to end.
 * - stock-scaling: the stock-range rule alone at 10,000 / 20,000 / 40,000 / 100,000 ranges; the
 *   ratio per doubling shows O(n log n) (quadratic would be 4×; issue 10 measured 40,000 ranges in
 *   18.7 s before the fix).
 * - baseline: the same process loading nothing, to read the peaks against.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { countJsonKeys, inspectDocument } from "../src/config/document.ts";
import { loadStack } from "../src/config/load.ts";
import { billStockRanges } from "../src/config/rules/bill-stock.ts";
import { RULES, runRules } from "../src/config/rules/index.ts";
import { Environment, type EnvironmentInput } from "../src/model/environment.ts";
import { REPO_ROOT } from "../src/base/paths.ts";
import { outputSync } from "../src/base/exec.ts";

const TODAY = new Date("2026-11-26T10:00:00+08:00");
const SELF = fileURLToPath(import.meta.url);

async function sandboxInput(): Promise<EnvironmentInput> {
  // The committed sandbox declaration as data (read in-process here: the bench trusts its repo).
  const { default: sandbox } = (await import(path.join(REPO_ROOT, "stacks/sandbox.ts"))) as {
    default: EnvironmentInput;
  };
  return structuredClone(sandbox);
}

function withMappings(input: EnvironmentInput, count: number): EnvironmentInput {
  for (let i = 0; i < count; i++)
    input.codeMappings!.push({
      system: i % 2 === 0 ? "his" : "fiscal",
      kind: "charge-item",
      local: `C${String(i).padStart(6, "0")}`,
      remote: `SF${String(i * 7).padStart(8, "0")}`,
      remoteName: `收费项目${i}号（检查费）`,
    });
  return input;
}

function withStock(input: EnvironmentInput, count: number): EnvironmentInput {
  const billCode = input.billStock![0]!.billCode;
  const places = input.invoicingPoints!.map((p) => p.code);
  for (let i = 0; i < count; i++) {
    const first = 5_000_000_000 + i * 500;
    input.billStock!.push({
      billCode,
      batch: `B${Math.floor(i / 1000)}`,
      first: String(first),
      last: String(first + 499),
      place: places[i % places.length]!,
    });
  }
  return input;
}

const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10;
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Each step of validating one JSON file in-process, then `loadStack` as a whole. */
async function measureJson(file: string) {
  const { readFile } = await import("node:fs/promises");
  const firstLoad = performance.now();
  const loaded = await loadStack(file, { today: TODAY });
  const coldTotal = ms(firstLoad);
  const peakAfterLoad = peakMb();
  if (!loaded.ok)
    throw new Error(`the generated stack is invalid: ${JSON.stringify(loaded.issues.slice(0, 3))}`);
  let t = performance.now();
  const text = await readFile(file, "utf8");
  const value = JSON.parse(text);
  const parse = ms(t);
  t = performance.now();
  inspectDocument(value, file, text.length);
  countJsonKeys(text);
  const checks = ms(t);
  t = performance.now();
  const env = Environment.parse(value);
  const schema = ms(t);
  t = performance.now();
  runRules(env, { today: TODAY, file });
  const rules = ms(t);
  const slowestRules = Object.entries(RULES)
    .map(([name, rule]) => {
      const r = performance.now();
      rule(env, { today: TODAY, file });
      return [name, ms(r)] as const;
    })
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, took]) => `${name} ${took}`)
    .join(", ");
  t = performance.now();
  const cpu = process.cpuUsage();
  await loadStack(file, { today: TODAY });
  const warmTotal = ms(t);
  const used = process.cpuUsage(cpu);
  const warmCpu = Math.round((used.user + used.system) / 100) / 10;
  // The floor: what reading the same text takes with nothing checked.
  t = performance.now();
  JSON.parse(await readFile(file, "utf8"));
  const floor = ms(t);
  return {
    bytes: text.length,
    parse,
    checks,
    schema,
    rules,
    slowestRules,
    coldTotal,
    warmTotal,
    warmCpu,
    "total/floor": Math.round((warmTotal / floor) * 10) / 10,
    peakMbAfterOneLoad: peakAfterLoad,
    peakMbAfterAllSteps: peakMb(),
  };
}

interface Case {
  /** Writes the case's files; runs in the main process, so the case's peak memory excludes it. */
  prepare?(dir: string): Promise<void>;
  /** Runs in a fresh process and returns what to print. */
  measure(dir: string): Promise<Record<string, unknown>>;
}

const writeStack = async (file: string, input: EnvironmentInput) =>
  writeFile(file, JSON.stringify(input, null, 2));

const CASES: Record<string, Case> = {
  baseline: {
    async measure() {
      await loadStack(path.join(REPO_ROOT, "stacks/sandbox.ts"), { today: TODAY });
      return { peakMb: peakMb() };
    },
  },
  "mappings-100k": {
    prepare: async (dir) =>
      writeStack(path.join(dir, "mappings.json"), withMappings(await sandboxInput(), 100_000)),
    measure: (dir) => measureJson(path.join(dir, "mappings.json")),
  },
  "stock-20k": {
    prepare: async (dir) => writeStack(path.join(dir, "stock.json"), withStock(await sandboxInput(), 20_000)),
    measure: (dir) => measureJson(path.join(dir, "stock.json")),
  },
  "mappings-100k-ts": {
    async prepare(dir) {
      const input = await sandboxInput();
      const catalog = withMappings({ ...input, codeMappings: [] }, 100_000).codeMappings;
      await writeFile(path.join(dir, "catalog.json"), JSON.stringify(catalog, null, 2));
      await writeFile(
        path.join(dir, "stack.ts"),
        [
          `import catalog from "./catalog.json";`,
          `const base = ${JSON.stringify(input)};`,
          `export default { ...base, codeMappings: [...base.codeMappings, ...catalog] };`,
        ].join("\n"),
      );
    },
    async measure(dir) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const loaded = await loadStack(path.join(dir, "stack.ts"), { today: TODAY });
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues.slice(0, 3)));
      const used = process.cpuUsage(cpu);
      return { total: ms(t), toolCpu: Math.round((used.user + used.system) / 1000), peakMbOfTool: peakMb() };
    },
  },
  "stock-scaling": {
    async measure() {
      const base = Environment.parse(await sandboxInput());
      const sizes = [10_000, 20_000, 40_000, 100_000];
      const envs = sizes.map((n) =>
        Environment.parse(withStock(structuredClone(base) as EnvironmentInput, n)),
      );
      billStockRanges(envs[0]!); // warm the JIT so the first size is not charged for it
      const medians = envs.map((env) => {
        const times = [0, 1, 2].map(() => {
          const t = performance.now();
          billStockRanges(env);
          return performance.now() - t;
        });
        return times.sort((a, b) => a - b)[1]!;
      });
      const out: Record<string, string> = {};
      sizes.forEach((n, i) => {
        const growth =
          i === 0
            ? ""
            : ` (${(n / sizes[i - 1]!).toFixed(1)}x ranges, ${(medians[i]! / medians[i - 1]!).toFixed(1)}x time)`;
        out[`${n}`] = `${medians[i]!.toFixed(1)} ms${growth}`;
      });
      return out;
    },
  },
};

async function main(): Promise<void> {
  const chosen = process.argv.slice(2).filter((a) => a in CASES);
  const names = chosen.length > 0 ? chosen : Object.keys(CASES);
  console.log(
    `validate benchmark, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  for (const name of names) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-bench-validate-"));
    try {
      await CASES[name]!.prepare?.(dir);
      // A fresh process per case, so the peak memory printed is that case's own.
      const out = outputSync(process.execPath, [...process.execArgv, SELF, "--case", name, dir]);
      console.log(`${name.padEnd(18)} ${out.trim()}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(
    "times in ms (cpu: CPU time of the tool's process, steadier than wall time on a busy machine); peakMb: the process's peak resident memory, baseline: the tool loading the sandbox stack",
  );
}

const caseIndex = process.argv.indexOf("--case");
if (caseIndex >= 0) {
  const measured = await CASES[process.argv[caseIndex + 1]!]!.measure(process.argv[caseIndex + 2]!);
  process.stdout.write(JSON.stringify(measured) + "\n");
} else await main();
