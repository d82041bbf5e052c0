/**
 * What an app host starts: the role's bin/ebill-app-run, rendered by real Ansible with the role's
 * defaults, decides for the systemd unit and the start script alike. A vendor archive placed by
 * the installer runs until 'ebill-ops upgrade' has unpacked a package into current/; from then on
 * the package in current/ runs (so an upgrade on a systemd server changes what runs).
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { output, run } from "../../src/base/exec.ts";
import { ansibleInstalled, INSTALL_ANSIBLE } from "../../src/hosts/ansible.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { skipOutsideCi } from "../harness/can-run.ts";

const ROLE = path.join(REPO_ROOT, "tasks/ansible/roles/ebill_app");
const CANNOT = ansibleInstalled() ? undefined : INSTALL_ANSIBLE;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-app-run-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it.skipIf(skipOutsideCi("test/hosts/app-run", CANNOT))(
  "runs the installed archive until an upgrade unpacked a package into current/, then that package",
  async () => {
    // A java that says how it was called.
    const java = path.join(dir, "java");
    await writeFile(java, '#!/bin/sh\necho "java $*"\n');
    await chmod(java, 0o755);
    const script = path.join(dir, "bin-ebill-app-run");
    const rendered = await run("ansible", [
      "localhost",
      "-i",
      "localhost,",
      "-c",
      "local",
      "-m",
      "ansible.builtin.template",
      "-a",
      `src=${path.join(ROLE, "templates/ebill-app-run.j2")} dest=${script} mode=0755`,
      "-e",
      `@${path.join(ROLE, "defaults/main.yml")}`,
      "-e",
      JSON.stringify({ ebill_app_install_dir: dir, ebill_app_java: java, ebill_app_stub: false }),
    ]);
    expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);

    await mkdir(path.join(dir, "lib"));
    await writeFile(path.join(dir, "lib/ebill-app.jar"), "installed");
    expect(await output("sh", [script])).toBe(
      `java -Xms1g -Xmx2g -jar ${dir}/lib/ebill-app.jar --spring.config.additional-location=${dir}/conf/\n`,
    );

    await mkdir(path.join(dir, "releases/1.0.4/lib"), { recursive: true });
    await writeFile(path.join(dir, "releases/1.0.4/lib/ebill-app.jar"), "upgraded");
    await run("ln", ["-sfn", path.join(dir, "releases/1.0.4"), path.join(dir, "current")]);
    expect(await output("sh", [script])).toContain(`-jar ${dir}/current/lib/ebill-app.jar `);
  },
  60_000,
);
