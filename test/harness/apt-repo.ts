/**
 * A local apt repository (flat, `file://`) of tiny packages built with `dpkg-deb`, so patch
 * rollouts on test hosts have real pending security updates without the internet. Its Release
 * file carries a "-security" suite like Debian's security archive, which is how the patch role
 * tells security updates from others.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { outputSync } from "../../src/base/exec.ts";

export interface DemoPackage {
  name: string;
  version: string;
  /** Shell run after installation, e.g. `touch /var/run/reboot-required`. */
  postinst?: string;
}

/** Builds `<name>_<version>_all.deb` in `dir` and returns its path. */
export function buildPackage(dir: string, pkg: DemoPackage): string {
  const tree = path.join(dir, `${pkg.name}-${pkg.version}`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(path.join(tree, "DEBIAN"), { recursive: true });
  mkdirSync(path.join(tree, "usr/share", pkg.name), { recursive: true });
  writeFileSync(path.join(tree, "usr/share", pkg.name, "VERSION"), `${pkg.version}\n`);
  writeFileSync(
    path.join(tree, "DEBIAN/control"),
    [
      `Package: ${pkg.name}`,
      `Version: ${pkg.version}`,
      "Architecture: all",
      "Maintainer: ebill-ops tests <ops@example.invalid>",
      "Section: misc",
      "Priority: optional",
      `Description: test package ${pkg.name} for patch rollouts`,
      "",
    ].join("\n"),
  );
  if (pkg.postinst) {
    writeFileSync(path.join(tree, "DEBIAN/postinst"), `#!/bin/sh\nset -e\n${pkg.postinst}\n`);
    chmodSync(path.join(tree, "DEBIAN/postinst"), 0o755);
  }
  const deb = path.join(dir, `${pkg.name}_${pkg.version}_all.deb`);
  outputSync("dpkg-deb", ["--root-owner-group", "--build", tree, deb], { stdio: "ignore" });
  rmSync(tree, { recursive: true, force: true });
  return deb;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Writes Packages and Release for the .deb files already in `repo` (flat layout: `deb file:REPO ./`). */
export function writeRepoIndex(repo: string, debs: readonly string[], suite = "bookworm-security"): void {
  const stanzas = debs.map((deb) => {
    const control = outputSync("dpkg-deb", ["-f", deb]).trimEnd();
    return `${control}\nFilename: ./${path.basename(deb)}\nSize: ${statSync(deb).size}\nSHA256: ${sha256(deb)}\n`;
  });
  const packages = path.join(repo, "Packages");
  writeFileSync(packages, stanzas.join("\n"));
  writeFileSync(
    path.join(repo, "Release"),
    [
      "Origin: ebill-ops-test",
      "Label: ebill-ops-test-security",
      `Suite: ${suite}`,
      `Codename: ${suite}`,
      `Date: ${new Date().toUTCString()}`,
      "Architectures: all amd64",
      "SHA256:",
      ` ${sha256(packages)} ${statSync(packages).size} Packages`,
      "",
    ].join("\n"),
  );
}
