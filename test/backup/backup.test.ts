/**
 * Backup, then change: a backup of the sandbox database and of the archive files on a namespace
 * file host, then bills changed and deleted, basic information added, archive files edited and
 * deleted. Verify restores the backup into a scratch database: the restored figures equal those
 * at backup time (exit 0), and differ from the live ones now. A stored dump whose bytes changed is
 * not restorable (exit 2).
 */
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ebillOps } from "../harness/cli.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { sshRun } from "../../src/sandbox/netns.ts";
import { runSite } from "../../src/hosts/source.ts";
import type { VerifyReport } from "../../src/backup/backup.ts";
import type { ListedBackup } from "../../src/backup/store.ts";
import { collectBackups } from "../../src/checks/collect-backups.ts";
import {
  SKIP_REASON,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "../hosts/fixture.ts";

const FILE_HOST = "sbx-db";
const BACKUP_HOST = "sbx-print";
const BACKUP_DIR = "/var/backups/ebill";

describe.skipIf(SKIP_REASON)("backup run, list and verify", () => {
  let db: SandboxDatabase;
  let ctx: TestHostsContext;
  let stackFile: string;
  let archiveDir: string;
  const cliEnv = () => ({ env: { ...process.env, ...db.server.env } });
  const cli = (args: string[]) => ebillOps([...args, "--stack", stackFile], cliEnv());

  beforeAll(async () => {
    db = await startSandboxDatabase();
    const env = structuredClone(db.env);
    env.maintenance.backup = {
      host: BACKUP_HOST,
      directory: BACKUP_DIR,
      time: "02:30",
      retentionDays: 14,
      archive: true,
      recentDays: 7,
      maxAgeHours: 26,
    };
    // "Now" is the day after the last seeded bill, so the last 7 days hold bills.
    const c = await db.client();
    const last = (await c.query("SELECT max(issued_at)::date::text AS d FROM ebill.bill")).rows[0]
      .d as string;
    await c.end();
    const today = new Date(new Date(`${last}T12:00:00+08:00`).getTime() + 86_400_000);
    process.env.EBILL_OPS_TODAY = today.toISOString();
    // The backup host is of the RedHat family (Kylin V10-shaped), the other hosts Debian.
    env.hosts = env.hosts.map((h) => (h.name === BACKUP_HOST ? { ...h, os: "kylin-v10" } : h));
    ctx = await startTestHosts(env, testSubnet(11), `b${process.pid % 100000}`);
    stackFile = writeStackFile(ctx.dir, ctx.env);
    const root = ctx.state.hosts.find((h) => h.name === FILE_HOST)!.root;
    archiveDir = path.join(root, env.interfaces.fileServer.archiveRoot.slice(1));
    for (const [file, text] of [
      ["2026/06/46060126-0000000001.pdf", "%PDF bill 1"],
      ["2026/06/46060126-0000000002.pdf", "%PDF bill 2"],
      ["2026/06/46060126-0000000003.ofd", "OFD bill 3"],
    ] as const) {
      mkdirSync(path.dirname(path.join(archiveDir, file)), { recursive: true });
      writeFileSync(path.join(archiveDir, file), text);
    }
  }, 240_000);

  afterAll(async () => {
    delete process.env.EBILL_OPS_TODAY;
    ctx?.cleanup();
    await db?.stop();
  });

  it("verifies a backup against the state at backup time after bills and archive files changed", async () => {
    const run = await cli(["backup", "run"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^backup \d{8}T\d{6}Z taken: database\.json\.gz, archive\.tar .* 3 archive files/,
    );

    // After the backup: a bill's amount changed, bills deleted, an invoicing point added, an
    // archive file edited and one deleted.
    const c = await db.client();
    await c.query(
      "UPDATE ebill.bill SET amount = amount + 1 WHERE bill_no = (SELECT min(bill_no) FROM ebill.bill)",
    );
    await c.query(
      "DELETE FROM ebill.bill_detail WHERE (bill_code, bill_no) IN (SELECT bill_code, bill_no FROM ebill.bill ORDER BY issued_at DESC LIMIT 5)",
    );
    await c.query(
      "DELETE FROM ebill.bill WHERE (bill_code, bill_no) IN (SELECT bill_code, bill_no FROM ebill.bill ORDER BY issued_at DESC LIMIT 5)",
    );
    await c.query(
      "INSERT INTO ebill.invoicing_point (code, name, enabled) VALUES ('099', '临时收费处', true)",
    );
    await c.end();
    writeFileSync(path.join(archiveDir, "2026/06/46060126-0000000001.pdf"), "%PDF edited");
    rmSync(path.join(archiveDir, "2026/06/46060126-0000000002.pdf"));

    const verify = await cli(["backup", "verify", "--json"]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as VerifyReport;
    expect(report.differences).toEqual([]);
    expect(report.restored).toEqual(report.expected);
    expect(report.archiveFiles).toBe(3);
    expect(report.expected.recentBills.rows).toBeGreaterThan(5);
    // The live database has moved on: the figures of what changed differ, the rest do not.
    expect(report.live!.tables.bill!.rows).toBe(report.expected.tables.bill!.rows - 5);
    expect(report.live!.recentBills.rows).toBe(report.expected.recentBills.rows - 5);
    expect(report.live!.tables.invoicing_point!.checksum).not.toBe(
      report.expected.tables.invoicing_point!.checksum,
    );
    expect(report.live!.tables.payment_channel).toEqual(report.expected.tables.payment_channel);

    const text = await cli(["backup", "verify"]);
    expect(text.stdout).toMatch(/ok {3}bill .*backup \d+ rows/);
    expect(text.stdout).toMatch(/restorable: the restored figures equal those at backup time/);

    const list = await cli(["backup", "list", "--json"]);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as ListedBackup[];
    expect(listed).toHaveLength(1);
    expect(listed[0]!.verification?.restorable).toBe(true);
    expect(listed[0]!.bytes).toBeGreaterThan(0);

    // What inspection's db.backup.age judges: the latest backup and its last verification.
    const facts = await collectBackups(ctx.env);
    expect(facts).toEqual({
      ok: true,
      value: {
        latest: { id: listed[0]!.manifest.id, takenAt: listed[0]!.manifest.takenAt },
        lastVerification: { id: listed[0]!.manifest.id, at: listed[0]!.verification!.at, restorable: true },
      },
    });
  }, 180_000);

  it("the ebill_backup role schedules the daily backup on the backup host (cron where there is no systemd)", async () => {
    await runSite(ctx.env, { check: false, limit: [BACKUP_HOST] });
    expect(sshRun(ctx.state, BACKUP_HOST, "cat /etc/cron.d/ebill-backup")).toContain(
      "30 2 * * * root /usr/local/sbin/ebill-backup >>/var/log/ebill-backup.log 2>&1",
    );
    expect(
      sshRun(ctx.state, BACKUP_HOST, "stat -c %a /usr/local/sbin/ebill-backup /etc/ebill-backup/pgpass"),
    ).toBe("750\n600\n");
    const script = sshRun(ctx.state, BACKUP_HOST, "cat /usr/local/sbin/ebill-backup");
    expect(script).toContain("pg_dump");
    expect(script).not.toContain(db.server.password);
    // Converged: a second run changes nothing on the host.
    const again = await runSite(ctx.env, { check: true, limit: [BACKUP_HOST] });
    expect(again.changes.map((c) => c.id)).toEqual([]);
  }, 240_000);

  it("says a backup whose stored dump changed is not restorable (exit 2)", async () => {
    const list = JSON.parse((await cli(["backup", "list", "--json"])).stdout) as ListedBackup[];
    const id = list[0]!.manifest.id;
    sshRun(ctx.state, BACKUP_HOST, `printf x >> ${BACKUP_DIR}/${id}/database.json.gz`);
    const verify = await cli(["backup", "verify", "--backup", id]);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toMatch(
      /difference: database: backup \S+: database\.json\.gz has sha256 \w+, the manifest says/,
    );
    expect(verify.stdout).toMatch(/NOT restorable/);
    const after = JSON.parse((await cli(["backup", "list", "--json"])).stdout) as ListedBackup[];
    expect(after[0]!.verification?.restorable).toBe(false);
  }, 120_000);
});
