/** The hosts source says why it cannot plan, so the plan lists what it skipped and how to fix it. */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostsSource } from "../../src/hosts/source.ts";
import { sandboxEnv, TEST_SECRETS } from "./fixture.ts";

const saved = { ...process.env };
afterEach(() => {
  for (const key of ["PATH", "EBILL_OPS_HOSTS_STATE", ...Object.keys(TEST_SECRETS)])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
});

describe("hostsSource.available", () => {
  it("says how to make the sandbox hosts when they are not running", async () => {
    Object.assign(process.env, TEST_SECRETS, { EBILL_OPS_HOSTS_STATE: "/nonexistent/state.json" });
    const result = await hostsSource.available(await sandboxEnv());
    expect(result).toEqual({ ok: false, reason: expect.stringContaining("ebill-ops sandbox-hosts up") });
  });

  it("says how to install Ansible when ansible-playbook is missing", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "ebill-no-ansible-"));
    try {
      symlinkSync("/bin/sh", path.join(bin, "sh"));
      process.env.PATH = bin;
      const result = await hostsSource.available(await sandboxEnv());
      expect(result).toEqual({ ok: false, reason: expect.stringContaining("apt-get install -y ansible") });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
