/**
 * Reading a release folder: every problem names the file, the path inside it and what to do, and a
 * package whose sha256 differs from the manifest is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRelease } from "../../src/upgrade/release.ts";
import { writeSandboxRelease } from "../../src/sandbox/product.ts";

describe("readRelease", () => {
  let dir: string;
  const manifestOf = (v: string) => path.join(dir, v, "manifest.json");
  const edit = (v: string, change: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(readFileSync(manifestOf(v), "utf8")) as Record<string, unknown>;
    change(m);
    writeFileSync(manifestOf(v), JSON.stringify(m));
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ebill-release-test-"));
    for (const v of ["1.0.4", "1.0.5", "1.0.6", "1.0.7"])
      await writeSandboxRelease(dir, {
        version: v,
        upgradesFrom: ["1.0.3"],
        up: "SELECT 1;",
        down: "SELECT 2;",
      });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the manifest, the package (checksum checked) and the migrations", () => {
    const r = readRelease("1.0.4", dir);
    expect(r.manifest.upgradesFrom).toEqual(["1.0.3"]);
    expect(r.up).toEqual([{ file: "migrations/001-up.sql", sql: "SELECT 1;" }]);
    expect(r.down).toEqual([{ file: "migrations/001-down.sql", sql: "SELECT 2;" }]);
    expect(r.package.length).toBeGreaterThan(100);
  });

  it("refuses a package whose sha256 is not the manifest's, saying nothing was changed", () => {
    edit("1.0.5", (m) => ((m.package as { sha256: string }).sha256 = "0".repeat(64)));
    expect(() => readRelease("1.0.5", dir)).toThrow(
      new RegExp(
        `${manifestOf("1.0.5")}: package\\.sha256: ebill-app-1\\.0\\.5\\.tar\\.gz has sha256 [0-9a-f]{64}, the manifest says 0{64}.*nothing was changed`,
      ),
    );
  });

  it("names the file and path of a bad manifest", () => {
    expect(() => readRelease("9.9.9", dir)).toThrow(/9\.9\.9\/manifest\.json: no release 9\.9\.9/);
    edit("1.0.6", (m) => (m.version = "1.0.60"));
    expect(() => readRelease("1.0.6", dir)).toThrow(/version: says 1\.0\.60 but the folder is 1\.0\.6/);
    edit("1.0.7", (m) => (m.migrations = { up: ["../../etc/passwd"] }));
    expect(() => readRelease("1.0.7", dir)).toThrow(
      /manifest\.json: migrations\.up\.0: a file inside the release folder \(no '\.\.'\)/,
    );
  });
});
