/**
 * The CLI loads only the command that runs (src/cli.ts COMMANDS): each entry must load the module
 * that registers exactly that command, and `--help` must still list them all.
 */
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, fullHelp } from "../../src/cli.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { output, run } from "../../src/base/exec.ts";
import { startEbillOps } from "../harness/cli.ts";

describe("commands loaded by name", () => {
  it("each name loads the module that registers that command, and only it", async () => {
    for (const [name, load] of Object.entries(COMMANDS)) {
      const program = new Command();
      (await load()).register(program, () => undefined);
      expect(
        program.commands.map((c) => c.name()),
        name,
      ).toEqual([name]);
    }
  });

  it("--help lists every command, and a mistyped one is told the right name", async () => {
    const bin = path.join(REPO_ROOT, "bin/ebill-ops.mjs");
    const stdout = await output(process.execPath, [bin, "--help"]);
    const listed = [...stdout.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(expect.arrayContaining(Object.keys(COMMANDS)));
    // Printed from the help the build wrote: the same text as registering every command's code.
    expect(stdout).toBe(await fullHelp());
    const typo = await run(process.execPath, [bin, "valdate"]);
    expect(typo).toMatchObject({ code: 1, stderr: expect.stringContaining("(Did you mean validate?)") });
  });

  it("output piped into a reader that already closed (| head) ends quietly, with the command's own exit status", async () => {
    const child = startEbillOps(["--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.destroy();
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(code).toBe(0);
  });
});
