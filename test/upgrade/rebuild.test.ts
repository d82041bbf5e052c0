/**
 * Host rebuild: the file host's root file system is wiped (a fresh overlay) and it comes back with
 * a new SSH host key. Rebuild refuses until the new key is declared (never trusted on first use),
 * then converges it, puts the archive files back from the latest verified backup with equal
 * checksums, and its drift check finds nothing.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ebillOps } from "../harness/cli.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { reinstallHost } from "../../src/sandbox/netns.ts";
import { runSite } from "../../src/hosts/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { RebuildReport } from "../../src/upgrade/rebuild.ts";
import {
  SKIP_REASON,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "../hosts/fixture.ts";

const FILE_HOST = "sbx-db";
const FILES = {
  "2026/06/46060126-0000000001.pdf": "%PDF bill 1",
  "2026/06/46060126-0000000002.ofd": "OFD bill 2",
};
const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

describe.skipIf(SKIP_REASON)("host rebuild of a reinstalled file host", () => {
  let db: SandboxDatabase;
  let ctx: TestHostsContext;
  const cliEnv = () => ({ env: { ...process.env, EBILL_DB_PASSWORD: db.server.env.EBILL_DB_PASSWORD } });
  /** The stack with every managed host's key declared, the file host's as given. */
  const stackWithKey = (fileHostKey: string) => {
    const env: Environment = structuredClone(ctx.env);
    env.hosts = env.hosts.map((h) => {
      const test = ctx.state.hosts.find((t) => t.name === h.name);
      if (!test) return h;
      return { ...h, ssh: { ...h.ssh, hostKey: h.name === FILE_HOST ? fileHostKey : test.hostKey } };
    });
    const dir = path.join(ctx.dir, `stack-${sha(fileHostKey).slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    return writeStackFile(dir, env);
  };
  const archiveRoot = () =>
    path.join(
      ctx.state.hosts.find((h) => h.name === FILE_HOST)!.root,
      ctx.env.interfaces.fileServer.archiveRoot,
    );

  beforeAll(async () => {
    db = await startSandboxDatabase();
    const env = structuredClone(db.env);
    env.maintenance.backup = {
      host: "sbx-print",
      directory: "/var/backups/ebill",
      time: "02:30",
      retentionDays: 14,
      archive: true,
      recentDays: 7,
      maxAgeHours: 26,
    };
    ctx = await startTestHosts(env, testSubnet(13), `r${process.pid % 100000}`);
    await runSite(ctx.env, { check: false, limit: [FILE_HOST] });
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(archiveRoot(), file)), { recursive: true });
      writeFileSync(path.join(archiveRoot(), file), text);
    }
  }, 400_000);

  afterAll(async () => {
    ctx?.cleanup();
    await db?.stop();
  });

  it("refuses a new host key until it is declared, then converges and restores the archive files", async () => {
    const oldKey = ctx.state.hosts.find((h) => h.name === FILE_HOST)!.hostKey;
    const declaredOld = stackWithKey(oldKey);
    expect((await ebillOps(["backup", "run", "--stack", declaredOld], cliEnv())).code).toBe(0);
    expect((await ebillOps(["backup", "verify", "--stack", declaredOld], cliEnv())).code).toBe(0);

    const newKey = await reinstallHost(ctx.dir, FILE_HOST);
    expect(newKey).not.toBe(oldKey);
    expect(existsSync(archiveRoot())).toBe(false);

    const refused = await ebillOps(["host", "rebuild", FILE_HOST, "--stack", declaredOld], cliEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${FILE_HOST} presents ${newKey}, the stack declares ${oldKey}`);
    expect(refused.stderr).toContain("Nothing was changed");
    expect(existsSync(archiveRoot())).toBe(false);

    const rebuilt = await ebillOps(
      ["host", "rebuild", FILE_HOST, "--json", "--stack", stackWithKey(newKey)],
      cliEnv(),
    );
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const report = JSON.parse(rebuilt.stdout) as RebuildReport;
    expect(report.converged).toBeGreaterThan(0);
    expect(report.restored[0]).toContain("2 archive files");
    expect(report.health).toEqual(["archive files: checksums equal the backup's"]);
    expect(report.drift).toEqual([]);
    for (const [file, text] of Object.entries(FILES))
      expect(sha(readFileSync(path.join(archiveRoot(), file)))).toBe(sha(text));
  }, 400_000);
});
