/**
 * The roles and playbooks pass ansible-lint (production profile) and yamllint, both from Debian
 * (`apt-get install ansible-lint yamllint`). Without the tools the test skips with a message,
 * except in CI (CI=true), where a missing tool is a failure: the check must not vanish silently.
 */
import { execFile, execFileSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ANSIBLE_DIR } from "../../src/hosts/ansible.ts";

const exec = promisify(execFile);

function installed(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const missing = ["ansible-lint", "yamllint"].filter((t) => !installed(t));
const skip = missing.length > 0 && !process.env.CI;
if (skip)
  console.warn(
    `test/hosts/lint: skipped: ${missing.join(", ")} not installed (apt-get install -y ansible-lint yamllint)`,
  );

describe.skipIf(skip)("Ansible roles are lint-clean", () => {
  it("yamllint finds nothing in tasks/ansible", async () => {
    const run = await exec("yamllint", [
      "-f",
      "parsable",
      "-c",
      path.join(ANSIBLE_DIR, ".yamllint"),
      ANSIBLE_DIR,
    ]).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(run.out).toBe("");
    expect(run.code).toBe(0);
  }, 60_000);

  it("ansible-lint passes the production profile", async () => {
    const run = await exec("ansible-lint", ["-p", "--nocolor"], {
      cwd: ANSIBLE_DIR,
      env: { ...process.env, ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, "ansible.cfg") },
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(run.code, run.out).toBe(0);
  }, 120_000);
});
