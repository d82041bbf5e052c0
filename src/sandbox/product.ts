/**
 * The sandbox's product package: a release folder (releases/<version>/, src/upgrade/release.ts)
 * whose package holds a small server that answers the product's signed status call with its
 * version (tasks/sandbox-product/ebill-app-server.py), so upgrades are rehearsed on namespace app
 * hosts with a real service to stop, replace, start and health-check.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { output } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

export const PRODUCT_SOURCE = path.join(REPO_ROOT, "tasks", "sandbox-product");
export const PRODUCT_SERVER = "ebill-app-server.py";
export const SANDBOX_PROXY = path.join(PRODUCT_SOURCE, "ebill-proxy.py");

export interface SandboxReleaseSpec {
  version: string;
  upgradesFrom: string[];
  /** SQL run once by the upgrade, and its undo. */
  up?: string;
  down?: string;
  /** A release whose status call fails (HTTP 500): what a health check must catch. */
  brokenStatus?: boolean;
}

/** Writes `<dir>/<version>/` (manifest, package, migrations); the folder's path. */
export async function writeSandboxRelease(dir: string, spec: SandboxReleaseSpec): Promise<string> {
  const folder = path.join(dir, spec.version);
  mkdirSync(path.join(folder, "migrations"), { recursive: true });
  const staging = mkdtempSync(path.join(tmpdir(), "ebill-release-"));
  const packageFile = `ebill-app-${spec.version}.tar.gz`;
  try {
    // The service account reads the unpacked folder (a temporary folder is 0700).
    chmodSync(staging, 0o755);
    copyFileSync(path.join(PRODUCT_SOURCE, PRODUCT_SERVER), path.join(staging, PRODUCT_SERVER));
    chmodSync(path.join(staging, PRODUCT_SERVER), 0o644);
    writeFileSync(
      path.join(staging, "release.json"),
      JSON.stringify({ version: spec.version, ...(spec.brokenStatus ? { brokenStatus: true } : {}) }) + "\n",
    );
    await output("tar", [
      "-C",
      staging,
      "--owner=0",
      "--group=0",
      "-czf",
      path.join(folder, packageFile),
      ".",
    ]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const migrations = { up: [] as string[], down: [] as string[] };
  for (const direction of ["up", "down"] as const) {
    const sql = spec[direction];
    if (!sql) continue;
    const file = `migrations/001-${direction}.sql`;
    writeFileSync(path.join(folder, file), sql);
    migrations[direction].push(file);
  }
  const sha256 = createHash("sha256")
    .update(readFileSync(path.join(folder, packageFile)))
    .digest("hex");
  writeFileSync(
    path.join(folder, "manifest.json"),
    JSON.stringify(
      {
        version: spec.version,
        package: { file: packageFile, sha256 },
        upgradesFrom: spec.upgradesFrom,
        migrations,
      },
      null,
      2,
    ) + "\n",
  );
  return folder;
}
