/** The pure parts of backups: ids, the recent-bills window, checksum lists and their comparison. */
import { describe, expect, it } from "vitest";
import { compareChecksums, parseSha256sum } from "../../src/backup/archive.ts";
import { recentFrom } from "../../src/backup/backup.ts";
import { compareFigures, type Figures } from "../../src/backup/dump.ts";
import { backupId } from "../../src/backup/store.ts";
import { fixtureEnv } from "../checks/fixture.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);

describe("backup units", () => {
  it("ids are the UTC time, sortable", () => {
    expect(backupId(new Date("2026-11-29T17:05:12.345Z"))).toBe("20261129T170512Z");
  });

  it("the recent bills start at local midnight, recentDays before the backup", () => {
    // 01:00 on 8 June in Shanghai is 17:00 UTC on 7 June.
    expect(recentFrom(fixtureEnv(), new Date("2026-06-07T17:00:00Z"), 7)).toBe("2026-06-01 00:00:00");
  });

  it("reads sha256sum output and compares lists both ways", () => {
    const list = parseSha256sum(`${A}  ./2026/06/a.pdf\n${B}  ./b c.ofd\n`);
    expect(list).toEqual({ "2026/06/a.pdf": A, "b c.ofd": B });
    expect(compareChecksums(list, list)).toEqual([]);
    expect(compareChecksums(list, { "2026/06/a.pdf": B, "new.pdf": A })).toEqual([
      `2026/06/a.pdf: sha256 ${B.slice(0, 12)} instead of ${A.slice(0, 12)}`,
      "b c.ofd: missing",
      "new.pdf: not in the backup",
    ]);
  });

  it("figures differ by table, and for the recent bills", () => {
    const f: Figures = {
      tables: { bill: { rows: 10, checksum: "c1" }, role: { rows: 2, checksum: "c2" } },
      recentBills: { rows: 3, checksum: "c3", from: "2026-06-01 00:00:00" },
    };
    expect(compareFigures(f, structuredClone(f))).toEqual([]);
    const g = structuredClone(f);
    g.tables.bill = { rows: 9, checksum: "c9" };
    g.recentBills.rows = 2;
    expect(compareFigures(f, g)).toEqual([
      "bill: 10 rows (md5 c1) expected, 9 rows (md5 c9) found",
      "bills since 2026-06-01 00:00:00: 3 rows (md5 c3) expected, 2 rows (md5 c3) found",
    ]);
  });
});
