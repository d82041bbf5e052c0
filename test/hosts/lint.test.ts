/**
 * The roles and playbooks pass ansible-lint (production profile) and yamllint, both from Debian
 * (`apt-get install ansible-lint yamllint`). Without the tools the test skips with a message,
 * except in CI (CI=true), where a missing tool is a failure: the check must not vanish silently.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ANSIBLE_DIR } from "../../src/hosts/ansible.ts";
import { onPath, run } from "../../src/base/exec.ts";

const missing = ["ansible-lint", "yamllint"].filter((t) => !onPath(t));
const skip = missing.length > 0 && !process.env.CI;
if (skip)
  console.warn(
    `test/hosts/lint: skipped: ${missing.join(", ")} not installed (apt-get install -y ansible-lint yamllint)`,
  );

describe.skipIf(skip)("Ansible roles are lint-clean", () => {
  it("yamllint finds nothing in tasks/ansible", async () => {
    const lint = await run("yamllint", [
      "-f",
      "parsable",
      "-c",
      path.join(ANSIBLE_DIR, ".yamllint"),
      ANSIBLE_DIR,
    ]);
    expect(lint.stdout + (lint.code === 0 ? "" : lint.stderr)).toBe("");
    expect(lint.code).toBe(0);
  }, 60_000);

  it("ansible-lint passes the production profile", async () => {
    const lint = await run("ansible-lint", ["-p", "--nocolor"], {
      cwd: ANSIBLE_DIR,
      env: { ...process.env, ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, "ansible.cfg") },
    });
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
  }, 120_000);
});
