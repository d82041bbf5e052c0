/**
 * Where the time of a host plan/apply goes, on three namespace test hosts over real SSH.
 * `npx tsx bench/hosts-timing.ts [--ratio] [--redhat]` (root). Prints a table; docs/hosts.md has
 * the figures.
 *
 * Always: check on fresh hosts, apply, then the tool's plan of the converged hosts (what every
 * plan and drift costs) against its floor, a bare `ansible-playbook --check --diff site.yml` of the
 * same inventory and variables with Ansible's default output, medians of 3 each, as a ratio; and
 * the tasks each host ran and the seconds per task.
 * Without --ratio also: the converged check with pipelining off, ControlPersist off, both off,
 * strategy free, with and without fact gathering, and the parts: SSH connection, remote python
 * start, sudo, controller start.
 * --redhat: the app host is a RedHat-family test host (Kylin V10-shaped), the others Debian.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { runPlaybook } from "../src/hosts/ansible.ts";
import { hostsConnection } from "../src/hosts/connection.ts";
import { parseAnsibleJson } from "../src/hosts/results.ts";
import { hostsSource, runSite } from "../src/hosts/source.ts";
import { playbookCommand } from "../src/hosts/ansible.ts";
import { sshOptions } from "../src/sandbox/netns.ts";
import { sandboxEnv, startTestHosts } from "../test/hosts/fixture.ts";
import { outputSync } from "../src/base/exec.ts";

const ratioOnly = process.argv.includes("--ratio");
const benchEnv = await sandboxEnv();
if (process.argv.includes("--redhat"))
  benchEnv.hosts = benchEnv.hosts.map((h) =>
    h.roles.includes("app") ? { ...h, os: "kylin-v10" as typeof h.os } : h,
  );
const ctx = await startTestHosts(benchEnv, "10.231.250", "bench");
const rows: [string, string][] = [];
const note = (what: string, value: string) => {
  rows.push([what, value]);
  console.log(`${what.padEnd(62)} ${value}`);
};
const time = (f: () => void) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

try {
  const { env, state } = ctx;
  const connection = hostsConnection(env);
  if (!connection.ok) throw new Error(connection.reason);

  const taskSeconds = (stdout: string) => {
    const json = parseAnsibleJson(stdout, "");
    let tasks = 0;
    let sum = 0;
    for (const play of json.plays)
      for (const t of play.tasks) {
        const d = (t.task as { duration?: { start: string; end?: string } }).duration;
        if (d?.end) {
          tasks++;
          sum += (Date.parse(d.end) - Date.parse(d.start)) / 1000;
        }
      }
    return { tasks, sum };
  };

  const check = async (label: string, extraEnv: Record<string, string> = {}) => {
    const r = await runPlaybook(env, connection.value, {
      playbook: "site.yml",
      check: true,
      diff: true,
      json: true,
      env: extraEnv,
    });
    const { tasks, sum } = taskSeconds(r.stdout);
    note(
      label,
      `${r.seconds.toFixed(1)} s  (${tasks} tasks, ${(sum / Math.max(tasks, 1)).toFixed(2)} s per task)`,
    );
    return r.seconds;
  };

  note(
    "load average at start (2 shared cores)",
    loadavg()
      .map((l) => l.toFixed(1))
      .join(" "),
  );
  const fresh = await runSite(env, { check: true });
  note("check, 3 fresh hosts (plan)", `${fresh.seconds.toFixed(1)} s, ${fresh.changes.length} changes`);
  const applied = await runSite(env, { check: false });
  note("apply, 3 fresh hosts", `${applied.seconds.toFixed(1)} s`);

  // The tool's plan against its floor: the same playbook, inventory and variables run bare.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const timed = async (f: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  const bare = async () => {
    const cmd = await playbookCommand(env, connection.value, {
      playbook: "site.yml",
      check: true,
      diff: true,
    });
    try {
      outputSync(cmd.command, cmd.args, {
        env: cmd.env,
        cwd: path.join(import.meta.dirname, "../tasks/ansible"),
        stdio: "ignore",
      });
    } finally {
      cmd.cleanup();
    }
  };
  const toolRuns: number[] = [];
  const bareRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    bareRuns.push(await timed(bare));
    toolRuns.push(await timed(() => hostsSource.plan(env)));
  }
  const counted = await runPlaybook(env, connection.value, {
    playbook: "site.yml",
    check: true,
    diff: true,
    json: true,
  });
  const perHost = new Map<string, number>();
  for (const play of parseAnsibleJson(counted.stdout, "").plays)
    for (const t of play.tasks)
      for (const [host, r] of Object.entries(t.hosts))
        if (!(r as { skipped?: boolean }).skipped) perHost.set(host, (perHost.get(host) ?? 0) + 1);
  const taskSlots = parseAnsibleJson(counted.stdout, "").plays.reduce((n, p) => n + p.tasks.length, 0);
  note("bare ansible-playbook --check --diff, converged (median of 3)", `${median(bareRuns).toFixed(2)} s`);
  note("tool's hosts plan, converged (median of 3)", `${median(toolRuns).toFixed(2)} s`);
  note("  ratio tool / bare", `${(median(toolRuns) / median(bareRuns)).toFixed(2)}x (target <= 1.2x)`);
  note(
    "  tasks in the run (incl. skipped), tasks run per host",
    `${taskSlots}; ${[...perHost].map(([h, n]) => `${h} ${n}`).join(", ")}`,
  );
  note(
    "  seconds per task (bare median / tasks in the run)",
    `${(median(bareRuns) / taskSlots).toFixed(2)} s`,
  );
  // Transport experiments (measured for issue 4; the figures are in docs/hosts.md).
  if (!ratioOnly) {
    await check("check, 3 converged hosts (plan/drift), defaults");
    await check("  same, second run", {});
    await check("  pipelining off", { ANSIBLE_PIPELINING: "False" });
    await check("  ControlPersist off", { ANSIBLE_SSH_ARGS: "-o ControlMaster=no" });
    await check("  pipelining and ControlPersist off", {
      ANSIBLE_PIPELINING: "False",
      ANSIBLE_SSH_ARGS: "-o ControlMaster=no",
    });
    await check("  strategy free (hosts do not wait for each other)", { ANSIBLE_STRATEGY: "free" });

    // Fact gathering: the roles need no facts, so plays set gather_facts: false; this is what it would cost.
    const dir = mkdtempSync(path.join(tmpdir(), "ebill-bench-"));
    for (const gather of [false, true]) {
      const file = path.join(dir, `facts-${gather}.yml`);
      writeFileSync(
        file,
        `- name: Facts\n  hosts: managed\n  gather_facts: ${gather}\n  tasks:\n    - name: Ping\n      ansible.builtin.ping:\n`,
      );
      const r = await runPlaybook(env, connection.value, { playbook: file, json: true });
      note(`one-task play, gather_facts ${gather}`, `${r.seconds.toFixed(1)} s`);
    }
    rmSync(dir, { recursive: true, force: true });

    const host = state.hosts[0]!;
    const ssh = (cmd: string) =>
      outputSync("ip", [
        "netns",
        "exec",
        state.controllerNamespace,
        "ssh",
        ...sshOptions(state),
        "-o",
        "ControlMaster=no",
        `${state.user}@${host.address}`,
        cmd,
      ]);
    const avg = (f: () => void, n = 5) => {
      let total = 0;
      for (let i = 0; i < n; i++) total += time(f);
      return total / n;
    };
    const sshTrue = avg(() => ssh("true"));
    note("one SSH connection (handshake + auth + 'true')", `${(sshTrue * 1000).toFixed(0)} ms`);
    note("remote python3 start", `${((avg(() => ssh("python3 -c pass")) - sshTrue) * 1000).toFixed(0)} ms`);
    note("sudo", `${((avg(() => ssh("sudo true")) - sshTrue) * 1000).toFixed(0)} ms`);
    note(
      "ansible-playbook start on the controller (--version)",
      `${(avg(() => outputSync("ansible-playbook", ["--version"]), 3) * 1000).toFixed(0)} ms`,
    );
    note(
      "load average at end",
      loadavg()
        .map((l) => l.toFixed(1))
        .join(" "),
    );
  }
} finally {
  ctx.cleanup();
}
