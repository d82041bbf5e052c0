/**
 * A local dnf repository (`file://`) of tiny noarch RPMs built with rpmbuild, with an
 * updateinfo.xml whose advisories mark updates as security updates, so patch rollouts on
 * RedHat-family test hosts have a real pending security update without the internet:
 * `dnf updateinfo list --security` and `dnf repoquery --upgrades --security` list it.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { outputSync } from "../../src/base/exec.ts";

export interface TestRpm {
  name: string;
  version: string;
}

/**
 * Builds `<name>-<version>-1.noarch.rpm` in `dir` and returns its path. No automatic
 * dependencies: a test host's rpm database holds only what the tests install.
 */
export function buildRpm(dir: string, pkg: TestRpm): string {
  const top = path.join(dir, `rpmbuild-${pkg.name}-${pkg.version}`);
  rmSync(top, { recursive: true, force: true });
  mkdirSync(path.join(top, "SPECS"), { recursive: true });
  const spec = path.join(top, "SPECS", `${pkg.name}.spec`);
  writeFileSync(
    spec,
    [
      `Name: ${pkg.name}`,
      `Version: ${pkg.version}`,
      "Release: 1",
      `Summary: test package ${pkg.name} for patch rollouts`,
      "License: MIT",
      "BuildArch: noarch",
      "AutoReqProv: no",
      "%description",
      `Test package ${pkg.name} for ebill-ops patch rollouts.`,
      "%install",
      `mkdir -p %{buildroot}/usr/share/${pkg.name}`,
      `echo ${pkg.version} > %{buildroot}/usr/share/${pkg.name}/VERSION`,
      "%files",
      `/usr/share/${pkg.name}/VERSION`,
      "",
    ].join("\n"),
  );
  outputSync("rpmbuild", ["-bb", "--quiet", "--define", `_topdir ${top}`, spec]);
  const built = path.join(top, "RPMS", "noarch", `${pkg.name}-${pkg.version}-1.noarch.rpm`);
  const target = path.join(dir, path.basename(built));
  renameSync(built, target);
  rmSync(top, { recursive: true, force: true });
  return target;
}

/**
 * Makes `repo` (holding RPMs already) a dnf repository, and marks the RPMs of the packages named in
 * `security` as covered by one security advisory of severity Important; the others are plain updates.
 */
export function writeSecurityRepo(repo: string, advisoryId: string, security: readonly string[]): void {
  outputSync("createrepo_c", ["--quiet", repo]);
  const packages = readdirSync(repo)
    .filter((f) => f.endsWith(".noarch.rpm") && security.some((name) => f.startsWith(`${name}-`)))
    .map((file) => {
      const [, name, version] = /^(.+)-([^-]+)-1\.noarch\.rpm$/.exec(file)!;
      return `        <package name="${name}" version="${version}" release="1" epoch="0" arch="noarch"><filename>${file}</filename></package>`;
    });
  const updateinfo = path.join(repo, "updateinfo.xml");
  writeFileSync(
    updateinfo,
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      "<updates>",
      '  <update from="ops@example.invalid" status="stable" type="security" version="1">',
      `    <id>${advisoryId}</id>`,
      "    <title>test security update</title>",
      "    <severity>Important</severity>",
      '    <issued date="2026-01-01 00:00:00"/>',
      "    <description>Test advisory for ebill-ops patch rollouts.</description>",
      "    <pkglist>",
      '      <collection short="test">',
      "        <name>test</name>",
      ...packages,
      "      </collection>",
      "    </pkglist>",
      "  </update>",
      "</updates>",
      "",
    ].join("\n"),
  );
  outputSync("modifyrepo_c", ["--mdtype=updateinfo", updateinfo, path.join(repo, "repodata")]);
  rmSync(updateinfo, { force: true });
}
