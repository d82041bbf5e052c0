/**
 * A product release: `releases/<version>/manifest.json` beside its package file and migrations.
 *
 *   {
 *     "version": "1.0.4",
 *     "package": { "file": "ebill-app-1.0.4.tar.gz", "sha256": "<64 hex>" },
 *     "upgradesFrom": ["1.0.3"],
 *     "migrations": { "up": ["migrations/001-up.sql"], "down": ["migrations/001-down.sql"] }
 *   }
 *
 * The package is a tar.gz unpacked into `<app.installDir>/releases/<version>/` on each app host;
 * `<installDir>/current` points at the running one. Migrations are SQL files run once per upgrade
 * in one transaction (down: in the given order, to undo). Reading a release checks the package's
 * sha256 before anything else happens: a wrong package is refused before any host is touched.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as z from "zod";
import { REPO_ROOT } from "../base/paths.ts";

const relativeFile = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "a file name inside the release folder, e.g. migrations/001-up.sql",
  )
  .refine((f) => !f.split("/").includes(".."), "a file inside the release folder (no '..')");

export const ReleaseManifest = z.strictObject({
  version: z.string().regex(/^\d+\.\d+(\.\d+)*([-.][A-Za-z0-9]+)*$/, "a version such as 1.0.4"),
  package: z.strictObject({
    file: relativeFile,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "the package's sha256 as 64 lower-case hex digits"),
  }),
  upgradesFrom: z.array(z.string()).describe("Versions this release upgrades from"),
  migrations: z
    .strictObject({ up: z.array(relativeFile).default([]), down: z.array(relativeFile).default([]) })
    .default({ up: [], down: [] }),
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

export interface Release {
  manifest: ReleaseManifest;
  dir: string;
  /** The package's bytes, checksum already checked. */
  package: Buffer;
  up: { file: string; sql: string }[];
  down: { file: string; sql: string }[];
}

/** Where releases are kept: `releases/` of the repository, or EBILL_OPS_RELEASES_DIR. */
export function releasesDir(): string {
  return path.resolve(process.env.EBILL_OPS_RELEASES_DIR || path.join(REPO_ROOT, "releases"));
}

/** Reads and checks a release; every problem names the file and what to do. */
export function readRelease(version: string, dir = releasesDir()): Release {
  const folder = path.join(dir, version);
  const file = path.join(folder, "manifest.json");
  if (!existsSync(file))
    throw new Error(`${file}: no release ${version}; add releases/${version}/manifest.json with its package`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ReleaseManifest.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      parsed.error.issues.map((i) => `${file}: ${i.path.join(".") || "(top)"}: ${i.message}`).join("\n"),
    );
  const manifest = parsed.data;
  if (manifest.version !== version)
    throw new Error(
      `${file}: version: says ${manifest.version} but the folder is ${version}; make them equal`,
    );
  const read = (rel: string, what: string) => {
    const f = path.join(folder, rel);
    if (!existsSync(f)) throw new Error(`${file}: ${what}: ${rel} does not exist in ${folder}`);
    return readFileSync(f);
  };
  const pkg = read(manifest.package.file, "package.file");
  const actual = createHash("sha256").update(pkg).digest("hex");
  if (actual !== manifest.package.sha256)
    throw new Error(
      `${file}: package.sha256: ${manifest.package.file} has sha256 ${actual}, the manifest says ${manifest.package.sha256}; ` +
        `the package is not the one released: get the vendor's package again (nothing was changed)`,
    );
  const sql = (files: string[], what: string) =>
    files.map((f, i) => ({ file: f, sql: read(f, `${what}[${i}]`).toString("utf8") }));
  return {
    manifest,
    dir: folder,
    package: pkg,
    up: sql(manifest.migrations.up, "migrations.up"),
    down: sql(manifest.migrations.down, "migrations.down"),
  };
}
