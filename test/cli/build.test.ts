/**
 * The tool runs from compiled JavaScript (dist/, bin/build.mjs) and never from a stale build: in
 * a copy of the checkout, a source edited after the build runs as edited (from src/, with a note),
 * `--check` names the file, and a rebuild makes it the compiled tool's again.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { run } from "../../src/base/exec.ts";
import { sandboxInput } from "../config/fixtures.ts";

async function node(cwd: string, args: string[], options: { cwdOf?: string } = {}) {
  const r = await run(process.execPath, args, {
    cwd: options.cwdOf ?? cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

let checkout: string;
const bin = () => path.join(checkout, "bin/ebill-ops.mjs");
const builder = () => path.join(checkout, "bin/build.mjs");

beforeAll(async () => {
  // What a clone holds of the tool; packages through a link to this checkout's node_modules.
  checkout = await mkdtemp(path.join(tmpdir(), "ebill-build-"));
  for (const part of ["bin", "src", "test/harness", "package.json", "package-lock.json", "tsconfig.json"])
    await cp(path.join(REPO_ROOT, part), path.join(checkout, part), { recursive: true });
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(checkout, "node_modules"), "dir");
});

afterAll(async () => {
  if (checkout) await rm(checkout, { recursive: true, force: true });
});

describe("the compiled tool", () => {
  it("is built by bin/build.mjs and runs without the sources' loader", async () => {
    expect((await node(checkout, [builder(), "--check"])).stderr).toMatch(/dist\/ is not built/);
    const built = await node(checkout, [builder()]);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/^built dist\/ from \d+ files/);
    const help = await node(checkout, [bin(), "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ebill-ops/);
    expect(help.stderr).toBe("");
    expect((await node(checkout, [builder(), "--check"])).code).toBe(0);
  });

  it("finds the checkout's stacks from dist/, whatever the working directory", async () => {
    await mkdir(path.join(checkout, "stacks"));
    await writeFile(path.join(checkout, "stacks", "plain.json"), JSON.stringify(await sandboxInput()));
    const result = await node(checkout, [bin(), "validate", "--stack", "plain"], { cwdOf: tmpdir() });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^ok +.*stacks\/plain\.json/);
    expect(result.code).toBe(0);
  });

  it("a touched but unchanged source keeps the build fresh", async () => {
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(checkout, "src/cli.ts"), later, later);
    expect((await node(checkout, [builder(), "--check"])).code).toBe(0);
  });

  it("after a source changes, runs the change from src/ and says how to rebuild; the rebuild runs it compiled", async () => {
    const cli = path.join(checkout, "src/cli.ts");
    const text = await readFile(cli, "utf8");
    const edited = text.replace(
      "GitOps operations for a hospital's",
      "EDITED: GitOps operations for a hospital's",
    );
    expect(edited).not.toBe(text);
    await writeFile(cli, edited);

    const check = await node(checkout, [builder(), "--check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("src/cli.ts changed since dist/ was built; run 'npm run build'");

    const stale = await node(checkout, [bin(), "--help"]);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain("EDITED: GitOps operations");
    expect(stale.stderr).toMatch(
      /src\/cli\.ts changed since dist\/ was built, so this runs from src\/ \(slower\)/,
    );

    expect((await node(checkout, [builder(), "--if-stale"])).stdout).toMatch(/^built dist\//);
    const rebuilt = await node(checkout, [bin(), "--help"]);
    expect(rebuilt.stdout).toContain("EDITED: GitOps operations");
    expect(rebuilt.stderr).toBe("");
  });
});

describe("dist/probe-child.js", () => {
  it("runs as plain Node: a probe of a port nobody listens on comes back unreachable", async () => {
    // The repository's own dist/, built by the test setup from these sources.
    const target = { name: "nothing", url: "http://127.0.0.1:9/", timeoutMs: 2000, proof: { kind: "none" } };
    const child = await run(process.execPath, [path.join(REPO_ROOT, "dist/probe-child.js")], {
      input: JSON.stringify(target),
    });
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ verdict: "unreachable", layer: "tcp" });
  });
});
