// @ts-check
/**
 * Is dist/ (the compiled JavaScript the tool runs from) built from the sources as they are now?
 *
 * `node bin/build.mjs` records every file it compiled in dist/build-info.json with its size,
 * modification time and SHA-256. Checking compares the size and time first (one stat per file,
 * about a millisecond for the whole tool) and reads a file's content only when those differ, so a
 * fresh checkout or `touch` does not count as a change but any edit does. Plain JavaScript with no
 * dependency: bin/ebill-ops.mjs asks this on every run, before anything else is loaded.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const DIST = path.join(ROOT, "dist");
export const BUILD_INFO = path.join(DIST, "build-info.json");
/** In dist/: the full `--help`, written by the build so printing it loads no command. */
export const HELP_FILE = "help.txt";

/**
 * @typedef {{ size: number, mtimeMs: number, sha256: string }} InputRecord
 * @typedef {{ version: 1, inputs: Record<string, InputRecord> }} BuildInfo
 */

/** @param {Buffer} bytes */
export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Why dist/ cannot be used as it is (missing, or a source changed since it was built), or null
 * when it is fresh.
 * @returns {string | null}
 */
export function staleReason() {
  /** @type {BuildInfo} */
  let info;
  try {
    info = JSON.parse(readFileSync(BUILD_INFO, "utf8"));
  } catch {
    return "dist/ is not built";
  }
  for (const [rel, recorded] of Object.entries(info.inputs)) {
    const file = path.join(ROOT, rel);
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return `${rel} is gone since dist/ was built`;
    }
    if (stat.size === recorded.size && stat.mtimeMs === recorded.mtimeMs) continue;
    if (stat.size !== recorded.size || sha256(readFileSync(file)) !== recorded.sha256)
      return `${rel} changed since dist/ was built`;
  }
  return null;
}
