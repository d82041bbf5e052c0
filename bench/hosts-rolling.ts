/**
 * What rolling restarts cost the hosts part, on namespace test hosts (two app hosts, the database
 * host, the print host) over real SSH. `npx tsx bench/hosts-rolling.ts` (root). Prints a table;
 * docs/backups-upgrades.md has the figures.
 *
 * - the hosts plan of converged hosts (what every plan and drift costs) with site.yml as it is
 *   (the app play `serial: 1`) and with the app play parallel, medians of 3;
 * - apply of a configuration change that restarts the service on both app hosts (the HIS timeout):
 *   as `apply` does it now (one app host at a time out of the proxy, src/hosts/rolling.ts) and as
 *   it did before (one run of site.yml, parallel app play: both restart at the same moment).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { runPlaybook } from "../src/hosts/ansible.ts";
import { hostsConnection } from "../src/hosts/connection.ts";
import { hostOf } from "../src/hosts/results.ts";
import { hostsSource, runSite } from "../src/hosts/source.ts";
import { REPO_ROOT } from "../src/base/paths.ts";
import { sandboxEnv, startTestHosts } from "../test/hosts/fixture.ts";

const benchEnv = await sandboxEnv();
benchEnv.hosts = [
  ...benchEnv.hosts,
  {
    name: "sbx-app2",
    address: "10.231.0.14",
    os: "debian-12",
    roles: ["app"],
    ssh: { user: "ebillops", port: 22 },
  },
];
const ctx = await startTestHosts(benchEnv, "10.231.249", "brol");
const note = (what: string, value: string) => console.log(`${what.padEnd(70)} ${value}`);
const timed = async (f: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

// site.yml with the app play parallel again (as before), beside the roles so they resolve.
const site = readFileSync(path.join(REPO_ROOT, "tasks/ansible/site.yml"), "utf8");
const parallel = site.replace(/\n {2}serial: 1\n/, "\n");
if (parallel === site)
  throw new Error("tasks/ansible/site.yml: no 'serial: 1' in the app play to compare against");
const dir = mkdtempSync(path.join(tmpdir(), "ebill-bench-rolling-"));
const parallelSite = path.join(dir, "site-parallel.yml");
writeFileSync(parallelSite, parallel);
process.env.ANSIBLE_ROLES_PATH = path.join(REPO_ROOT, "tasks/ansible/roles");

try {
  const env = ctx.env;
  const connection = hostsConnection(env);
  if (!connection.ok) throw new Error(connection.reason);
  note("load average at start (2 shared cores)", load());
  await runSite(env, { check: false });

  const planSerial: number[] = [];
  const planParallel: number[] = [];
  for (let i = 0; i < 3; i++) {
    planSerial.push(await timed(() => runSite(env, { check: true })));
    planParallel.push(
      await timed(() =>
        runPlaybook(env, connection.value, { playbook: parallelSite, check: true, diff: true, json: true }),
      ),
    );
  }
  note("hosts plan, converged, app play serial: 1 (median of 3)", `${median(planSerial).toFixed(1)} s`);
  note("hosts plan, converged, app play parallel (median of 3)", `${median(planParallel).toFixed(1)} s`);

  const rolling: number[] = [];
  const together: number[] = [];
  for (let i = 1; i <= 4; i++) {
    env.interfaces.his.timeoutMs += 1000;
    const { changes } = await hostsSource.plan(env);
    const hosts = [...new Set(changes.map(hostOf))];
    if (i % 2 === 1)
      rolling.push(await timed(() => hostsSource.apply(env, changes, { allowDestroy: false })));
    else
      together.push(
        await timed(() =>
          runPlaybook(env, connection.value, {
            playbook: parallelSite,
            diff: true,
            json: true,
            limit: hosts,
          }),
        ),
      );
  }
  note(
    "apply HIS timeout, 2 app hosts one at a time out of the proxy (2 runs)",
    rolling.map((s) => `${s.toFixed(1)} s`).join(", "),
  );
  note(
    "apply HIS timeout, one site.yml run, both at once (before; 2 runs)",
    together.map((s) => `${s.toFixed(1)} s`).join(", "),
  );
  note("load average at end", load());
} finally {
  rmSync(dir, { recursive: true, force: true });
  ctx.cleanup();
}
