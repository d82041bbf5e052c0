/**
 * onPath answers "is this program installed?" from the file system, as a shell's lookup would:
 * `plan` asks it for ansible-playbook on every run.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPath } from "../../src/base/exec.ts";

let dir: string;
const savedPath = process.env.PATH;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-onpath-"));
  for (const folder of ["a", "b"]) await mkdir(path.join(dir, folder));
  await writeFile(path.join(dir, "b", "ansible-playbook"), "#!/bin/sh\n");
  await chmod(path.join(dir, "b", "ansible-playbook"), 0o755);
  await writeFile(path.join(dir, "a", "not-executable"), "data\n");
  await mkdir(path.join(dir, "a", "a-folder"));
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

describe("onPath", () => {
  it("finds an executable in any folder of PATH, and nothing once PATH lacks that folder", () => {
    process.env.PATH = [path.join(dir, "a"), path.join(dir, "b")].join(path.delimiter);
    expect(onPath("ansible-playbook")).toBe(true);
    process.env.PATH = path.join(dir, "a");
    expect(onPath("ansible-playbook")).toBe(false);
  });

  it("does not count a file that cannot be run, or a folder of that name", () => {
    process.env.PATH = path.join(dir, "a");
    expect(onPath("not-executable")).toBe(false);
    expect(onPath("a-folder")).toBe(false);
  });

  it("takes a path to a program as it is", () => {
    process.env.PATH = "";
    expect(onPath(path.join(dir, "b", "ansible-playbook"))).toBe(true);
    expect(onPath(path.join(dir, "a", "not-executable"))).toBe(false);
  });
});
