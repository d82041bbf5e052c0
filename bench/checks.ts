/**
 * What the health checks cost (issue 15), on the sandbox's shape: three namespace test hosts over
 * real SSH, converged, and a real sandbox database. `npm run bench:checks` (root for the hosts;
 * without root only the database part runs). Prints a table; docs/inspection.md has the figures.
 *
 * - monitor (the quick checks, all three collectors at once), interfaces answering and not
 *   answering (a firewall dropping their packets: the probe's 5 s cap), median of 5; target < 10 s;
 * - inspect's host part (one Ansible run, one task per host, the package scan included) against a
 *   bare `ansible all -m setup` of the same hosts, inventory and connection, alternating, median of
 *   5 each; target <= 1.5x;
 * - the database part's round trips as the tables and partitions grow: constant.
 */
import type { ChildProcess } from "node:child_process";
import { outputSync, start } from "../src/base/exec.ts";
import { loadavg } from "node:os";
import path from "node:path";
import { collectHosts } from "../src/checks/collect-hosts.ts";
import { readDatabaseFacts } from "../src/checks/collect-database.ts";
import { runHealthChecks } from "../src/checks/run.ts";
import { REPO_ROOT } from "../src/base/paths.ts";
import { playbookCommand } from "../src/hosts/ansible.ts";
import { hostsConnection } from "../src/hosts/connection.ts";
import { runSite } from "../src/hosts/source.ts";
import { partitionDdl } from "../src/db/reference-schema.ts";
import type { Environment } from "../src/model/environment.ts";
import { FIXTURE_TODAY } from "../test/harness/fixture-stacks.ts";
import { sshRun } from "../src/sandbox/netns.ts";
import { startSandboxDatabase } from "../test/harness/postgres.ts";
import { SKIP_REASON, sandboxEnv, startTestHosts } from "../test/hosts/fixture.ts";

process.env.EBILL_OPS_TODAY = FIXTURE_TODAY;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = async (f: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const note = (what: string, value: string) => console.log(`${what.padEnd(66)} ${value}`);

note(
  "load average at start (2 shared cores)",
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" "),
);
const db = await startSandboxDatabase();
try {
  // The database part: statements sent, whatever the number of tables and partitions.
  const client = await db.client();
  const count = async () => {
    let sent = 0;
    await readDatabaseFacts(
      {
        query: (text: string, values?: unknown[]) => (
          sent++,
          client.query(text, values) as Promise<{ rows: { facts: unknown }[] }>
        ),
      },
      db.env,
      { now: new Date(FIXTURE_TODAY), quarter: { from: "2026-04-01", to: "2026-06-30" } },
    );
    return sent;
  };
  const tables = async () =>
    Number((await client.query("SELECT count(*) AS n FROM pg_class WHERE relkind IN ('r', 'p')")).rows[0].n);
  note(`database part, ${await tables()} tables (seeded sandbox)`, `${await count()} round trips`);
  // Grown in two steps to 300 more partitions and 1,000 more tables in all.
  let made = { partitions: 0, tables: 0 };
  for (const [partitions, extra] of [
    [30, 100],
    [300, 1000],
  ] as const) {
    const years = Array.from({ length: partitions - made.partitions }, (_, i) => 2100 + made.partitions + i);
    await client.query(
      [
        ...years.map((y) => partitionDdl("ebill", "bill", y, "pg_default")),
        ...Array.from(
          { length: extra - made.tables },
          (_, i) => `CREATE TABLE ebill.bench_${made.tables + i} (id int)`,
        ),
      ].join(";\n"),
    );
    made = { partitions, tables: extra };
    const t = await seconds(count);
    note(
      `database part, +${partitions} partitions, +${extra} tables (${await tables()} tables)`,
      `${await count()} round trips (${t.toFixed(2)} s)`,
    );
  }
  await client.end();

  if (SKIP_REASON) {
    note("hosts", `skipped: ${SKIP_REASON}`);
  } else {
    const declared = await sandboxEnv();
    const ctx = await startTestHosts(declared, "10.231.251", "bchk");
    let standIns: ChildProcess | undefined;
    try {
      Object.assign(process.env, db.server.env);
      const app = ctx.env.hosts.find((h) => h.roles.includes("app"))!;
      const env: Environment = {
        ...ctx.env,
        database: db.env.database,
        interfaces: {
          ...ctx.env.interfaces,
          his: { ...ctx.env.interfaces.his, url: `http://${app.address}:9090/his` },
          fiscal: { ...ctx.env.interfaces.fiscal, url: `http://${app.address}:9091/fiscal` },
          push: { ...ctx.env.interfaces.push!, url: `http://${app.address}:9092/push` },
        },
      };
      const converge = await seconds(() => runSite(env, { check: false }));
      note("converge the three hosts (setup, not measured below)", `${converge.toFixed(1)} s`);

      const monitorRuns = async (label: string) => {
        const runs: number[] = [];
        for (let i = 0; i < 5; i++) runs.push(await seconds(() => runHealthChecks(env, { quick: true })));
        note(
          label,
          `${median(runs).toFixed(2)} s (median of 5; min ${Math.min(...runs).toFixed(2)}, max ${Math.max(...runs).toFixed(2)}; target < 10 s)`,
        );
      };
      await monitorRuns("monitor, interfaces not answering (firewall drops: 5 s probe cap)");
      sshRun(ctx.state, app.name, "nft add rule inet filter input tcp dport { 9090, 9091, 9092 } accept");
      const appHost = ctx.state.hosts.find((h) => h.name === app.name)!;
      standIns = start(
        "ip",
        [
          "netns",
          "exec",
          appHost.namespace,
          process.execPath,
          "--import",
          "tsx",
          "test/checks/interfaces-stand-in.ts",
          app.address,
        ],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, STAND_IN_APP_KEY: process.env.FISCAL_APP_KEY },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      await new Promise<void>((resolve) =>
        standIns!.stdout!.on("data", (d: Buffer) => d.toString().includes("listening") && resolve()),
      );
      await monitorRuns("monitor, interfaces answering (stand-ins in the app host)");

      // inspect's host part against a bare `ansible all -m setup` of the same hosts.
      const connection = hostsConnection(env);
      if (!connection.ok) throw new Error(connection.reason);
      const setup = async () => {
        const cmd = await playbookCommand(env, connection.value, { playbook: "site.yml" });
        try {
          const at = cmd.args.indexOf("ansible-playbook");
          const inventory = cmd.args[cmd.args.indexOf("-i") + 1]!;
          const key = cmd.args.includes("--private-key")
            ? ["--private-key", cmd.args[cmd.args.indexOf("--private-key") + 1]!]
            : [];
          const args = [...cmd.args.slice(0, at), "ansible", "all", "-i", inventory, ...key, "-m", "setup"];
          outputSync(cmd.command, args, { env: cmd.env, cwd: path.join(REPO_ROOT, "tasks/ansible") });
        } finally {
          cmd.cleanup();
        }
      };
      const bare: number[] = [];
      const tool: number[] = [];
      for (let i = 0; i < 5; i++) {
        bare.push(await seconds(setup));
        tool.push(
          await seconds(async () => {
            const facts = await collectHosts(env, { quick: false });
            if (!facts.ok || facts.value.hosts.some((h) => !h.answered))
              throw new Error(`hosts did not answer: ${JSON.stringify(facts)}`);
          }),
        );
      }
      note("bare `ansible all -m setup`, 3 hosts (median of 5)", `${median(bare).toFixed(2)} s`);
      note("inspect's host part: one task per host, package scan included", `${median(tool).toFixed(2)} s`);
      note(
        "  ratio inspect host part / bare setup",
        `${(median(tool) / median(bare)).toFixed(2)}x (target <= 1.5x)`,
      );
      const full = await seconds(() =>
        runHealthChecks(env, { quick: false, quarter: { from: "2026-04-01", to: "2026-06-30" } }),
      );
      note("a whole inspection's checks (all three collectors at once)", `${full.toFixed(2)} s`);
    } finally {
      if (standIns?.pid) standIns.kill("SIGKILL");
      ctx.cleanup();
    }
  }
} finally {
  await db.stop();
}
