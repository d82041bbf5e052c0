/**
 * A `.ts` stack is code from a branch: each hostile behaviour found when stacks ran inside the
 * tool (issue 10, item 3) is tried here against the contained evaluator. Why it matters: in a
 * pull request the stack's code must never reach the secrets or outlive the command.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateTsStack } from "../../src/config/evaluate-ts.ts";
import { loadStack } from "../../src/config/load.ts";
import { sandboxInput } from "./fixtures.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { outputSync } from "../../src/base/exec.ts";

const MODEL = path.join(REPO_ROOT, "src/model/environment.ts");
const asRoot = process.getuid?.() === 0;
const today = new Date("2026-11-26T10:00:00+08:00");
const quick = { timeoutMs: 2_000 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ebill-evaluate-"));
  // The stack runs as another user when the tests run as root; let it write its markers here.
  await chmod(dir, 0o777);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stack(name: string, code: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  return file;
}

async function evaluate(name: string, code: string, options = quick) {
  return evaluateTsStack(await stack(name, code), options);
}

function declaration(result: Awaited<ReturnType<typeof evaluateTsStack>>): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected a declaration, got: ${result.message}`);
  return JSON.parse(result.json) as Record<string, unknown>;
}

/** Processes on this machine whose command line holds `token`. */
async function processesWith(token: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(token)) found.push(`${pid}: ${cmdline.replaceAll("\0", " ")}`);
  }
  return found;
}

describe("a .ts stack runs unprivileged and sees no secret", () => {
  it.runIf(asRoot)("runs `id` as an unprivileged user, not root", async () => {
    const result = await evaluate(
      "id.ts",
      `import { execSync } from "node:child_process";\nexport default { id: execSync("id -u").toString().trim() };\n`,
    );
    expect(declaration(result).id).not.toBe("0");
  });

  it("finds no secret in its environment, in the tool's, or in a secret file", async () => {
    const secretFile = path.join(dir, "secrets.env");
    await writeFile(secretFile, "EBILL_DB_PASSWORD=file-secret-6d2f\n", { mode: 0o600 });
    const before = process.env.EBILL_DB_PASSWORD;
    process.env.EBILL_DB_PASSWORD = "env-secret-91c4";
    try {
      const result = await evaluate(
        "secrets.ts",
        [
          `import { readFileSync, readdirSync } from "node:fs";`,
          `const read = (f: string) => { try { return readFileSync(f, "utf8"); } catch (e) { return "unreadable"; } };`,
          `const procs = readdirSync("/proc").filter((p) => /^\\d+$/.test(p));`,
          `export default {`,
          `  env: process.env,`,
          `  parent: read("/proc/" + process.ppid + "/environ"),`,
          `  all: procs.map((p) => read("/proc/" + p + "/environ")).join("|"),`,
          `  file: ${asRoot ? `read(${JSON.stringify(secretFile)})` : `"skipped: same user"`},`,
          `};`,
        ].join("\n"),
      );
      const text = declaration(result) && (result.ok ? result.json : "");
      expect(text).not.toContain("env-secret-91c4");
      expect(text).not.toContain("file-secret-6d2f");
      expect(Object.keys(declaration(result).env as object).sort()).toEqual(
        expect.arrayContaining(["HOME", "NODE_OPTIONS", "PATH"]),
      );
      expect(Object.keys(declaration(result).env as object)).not.toContain("EBILL_DB_PASSWORD");
    } finally {
      if (before === undefined) delete process.env.EBILL_DB_PASSWORD;
      else process.env.EBILL_DB_PASSWORD = before;
    }
  });

  it("gets the rehearsed date and the time zone, so a stack may read the clock", async () => {
    const before = { today: process.env.EBILL_OPS_TODAY, tz: process.env.TZ };
    process.env.EBILL_OPS_TODAY = "2027-01-02";
    process.env.TZ = "Asia/Shanghai";
    try {
      const result = await evaluate(
        "clock.ts",
        `export default { today: process.env.EBILL_OPS_TODAY, tz: Intl.DateTimeFormat().resolvedOptions().timeZone };\n`,
      );
      expect(declaration(result)).toEqual({ today: "2027-01-02", tz: "Asia/Shanghai" });
    } finally {
      for (const [name, value] of [
        ["EBILL_OPS_TODAY", before.today],
        ["TZ", before.tz],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });
});

describe("a .ts stack cannot end, hang or outlive the command", () => {
  it("process.exit(0) is an error, not a clean result", async () => {
    const result = await evaluate("exit.ts", `process.exit(0);\nexport default { name: "x" };\n`);
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/must not call process\.exit\(\)/) });
    // And through the loader: the stack is invalid, so validate, plan and drift stop with exit 1.
    const loaded = await loadStack(path.join(dir, "exit.ts"), { today });
    expect(loaded.ok).toBe(false);
  });

  it("an endless loop is stopped at the time limit with a message", async () => {
    const started = Date.now();
    const result = await evaluate("loop.ts", `while (true) {}\nexport default {};\n`);
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/did not finish within 2 s and was stopped/),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("a timer and a promise that never settles are stopped too", async () => {
    const result = await evaluate(
      "timer.ts",
      `setInterval(() => {}, 100);\nawait new Promise(() => {});\nexport default {};\n`,
    );
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/did not finish within 2 s/) });
  });

  it("a detached child, even in a session of its own, dies with the evaluation", async () => {
    const token = `ebill-escape-${process.pid}-${Date.now()}`;
    const marker = path.join(dir, token);
    const result = await evaluate(
      "detached.ts",
      [
        `import { spawn } from "node:child_process";`,
        `for (const command of [["sh", "-c", "sleep 1.5; touch ${marker}-a # ${token}"], ["setsid", "sh", "-c", "sleep 1.5; touch ${marker}-b # ${token}"]]) {`,
        `  spawn(command[0]!, command.slice(1), { detached: true, stdio: "ignore" }).unref();`,
        `}`,
        `export default { started: true };`,
      ].join("\n"),
    );
    expect(declaration(result)).toEqual({ started: true });
    expect(await processesWith(token)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await readdir(dir)).filter((f) => f.startsWith(token))).toEqual([]);
  });
});

describe("what is validated is what is used", () => {
  it("toJSON and getters are read once, in the child; the tool checks and uses that JSON", async () => {
    const input = sandboxInput();
    const file = await stack(
      "tojson.ts",
      [
        `const real = ${JSON.stringify(input)};`,
        `let reads = 0;`,
        // A getter that answers differently on each read, and a toJSON that hides it.
        `const tricky = { ...real, get kind() { reads++; return reads > 1 ? "production" : "sandbox"; } };`,
        `export default { toJSON() { return { ...real, name: "from-tojson", kind: tricky.kind }; } };`,
      ].join("\n"),
    );
    const loaded = await loadStack(file, { today });
    expect(loaded.ok).toBe(true);
    if (loaded.ok) {
      expect(loaded.env.name).toBe("from-tojson");
      expect(loaded.env.kind).toBe("sandbox");
    }
  });
});

describe("the size and memory limits hold", () => {
  it("importing a 60 MB JSON is refused before anything runs", async () => {
    await writeFile(path.join(dir, "huge.json"), `[${'"x",'.repeat(15 * 1024 * 1024)}"x"]`);
    const started = Date.now();
    const result = await evaluate(
      "import-huge.ts",
      `import huge from "./huge.json";\nexport default { huge };\n`,
    );
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(
        /huge\.json is 60\.0 MB: the stack with its imports would be more than 32 MB/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a stack that allocates without end is stopped at the memory limit", async () => {
    const result = await evaluateTsStack(
      await stack(
        "greedy.ts",
        `const keep: number[][] = [];\nfor (;;) keep.push(new Array(1_000_000).fill(1.5));\nexport default {};\n`,
      ),
      { timeoutMs: 30_000, memoryMb: 128 },
    );
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/more than the 128 MB of memory allowed/),
    });
  });

  it("a buffer outside the JavaScript heap is limited too", async () => {
    const result = await evaluate(
      "buffer.ts",
      `export default { size: Buffer.alloc(3 * 1024 ** 3).length };\n`,
      {
        timeoutMs: 10_000,
      },
    );
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/memory allowed/) });
  });
});

describe("a stack reads only its own files", () => {
  it("an import of a file outside the stack's project is refused, naming it", async () => {
    const result = await evaluate(
      "outside.ts",
      `import data from "/etc/os-release.json";\nexport default data;\n`,
    );
    expect(result.ok).toBe(false);
    const link = path.join(dir, "project", "linked.json");
    await mkdir(path.dirname(link), { recursive: true });
    await writeFile(path.join(dir, "project", "package.json"), "{}");
    await symlink("/etc/hostname", link);
    const viaLink = await evaluate(
      "project/via-link.ts",
      `import data from "./linked.json";\nexport default { data };\n`,
    );
    expect(viaLink).toEqual({
      ok: false,
      message: expect.stringMatching(
        /the import '\.\/linked\.json' resolves to \/etc\/hostname, outside the stack's project/,
      ),
    });
  });

  it("an import from a hidden folder (.sandbox, .git) is refused", async () => {
    await mkdir(path.join(dir, "project", ".sandbox"), { recursive: true });
    await writeFile(
      path.join(dir, "project", ".sandbox", "secrets.json"),
      '{"EBILL_DB_PASSWORD": "hidden-7e1a"}',
    );
    const result = await evaluate(
      "project/hidden.ts",
      `import secrets from "./.sandbox/secrets.json";\nexport default { secrets };\n`,
    );
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/inside the hidden '\.sandbox'/) });
  });

  it("a special file among the imports is refused, not read", async () => {
    outputSync("mkfifo", [path.join(dir, "project", "pipe.json")]);
    const result = await evaluate(
      "project/pipe.ts",
      `import data from "./pipe.json";\nexport default { data };\n`,
    );
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/pipe\.json is a named pipe \(FIFO\)/),
    });
  });
});

describe("errors keep their location", () => {
  it("a syntax error names file:line:column", async () => {
    const file = await stack("syntax.ts", `export default {\n  name: "x",\n  kind: ,\n};\n`);
    const result = await evaluateTsStack(file, quick);
    expect(result).toEqual({ ok: false, message: expect.stringContaining(`${file}:3:9: Unexpected ","`) });
  });

  it("an error thrown while evaluating names the stack's file and line, not the bundle", async () => {
    const file = await stack(
      "throws.ts",
      `const codes: string[] = [];\n\nif (codes.length === 0) throw new Error("no codes");\nexport default {};\n`,
    );
    const result = await evaluateTsStack(file, quick);
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/throws\.ts:3:\d+: Error: no codes/),
    });
  });

  it("a key written twice in an object literal is refused with its location", async () => {
    const file = await stack("dup.ts", `export default {\n  enabled: true,\n  enabled: false,\n};\n`);
    const result = await evaluateTsStack(file, quick);
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/dup\.ts:3:\d+: Duplicate key "enabled"/),
    });
  });

  it('a stack outside a "type": "module" folder loads, also with a cycle of imports', async () => {
    await mkdir(path.join(dir, "cjs"), { recursive: true });
    await writeFile(path.join(dir, "cjs", "package.json"), JSON.stringify({ type: "commonjs" }));
    await stack(
      "cjs/part.ts",
      `import { name } from "./stack.ts";\nexport const kind = "sandbox";\nexport const label = () => name;\n`,
    );
    const result = await evaluate(
      "cjs/stack.ts",
      `import { defineEnvironment } from ${JSON.stringify(MODEL)};\nimport { kind } from "./part.ts";\nexport const name = "cjs-stack";\nexport default defineEnvironment({ name, kind } as never);\n`,
    );
    expect(declaration(result)).toEqual({ name: "cjs-stack", kind: "sandbox" });
  });
});
