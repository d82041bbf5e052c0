/**
 * What makes a namespace test host a RedHat-family host: on the shared Debian tree (which carries
 * Debian's builds of rpm, dnf and python3-dnf, see netns-rootfs.ts), its overlay gets the
 * /etc/os-release of Kylin Linux Advanced Server V10 (Ansible reports os_family RedHat for it), an
 * empty rpm database of its own, no apt sources, and stand-ins of the files a Kylin/CentOS install
 * has and the roles edit: /etc/pam.d/system-auth and password-auth (no authselect profile) and
 * firewalld's configuration directory.
 *
 * What this proves and what it does not is in docs/hosts.md ("RedHat-family test host"): the
 * roles' RedHat branch runs for real (dnf module, dnf security advisories, file paths, service
 * names), on a Debian userland; SELinux, firewalld itself, authselect and systemd are not exercised.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { osFamily, type OsId } from "../model/operating-systems.ts";
import { outputSync } from "../base/exec.ts";

export type TestHostFamily = "Debian" | "RedHat";

/** The kind of test host that stands in for a host declaring `os`. */
export function testHostFamily(os: OsId): TestHostFamily {
  return osFamily(os) === "RedHat" ? "RedHat" : "Debian";
}

/** Kylin V10 server's os-release, as its distribution package writes it. */
const KYLIN_V10_OS_RELEASE = [
  'NAME="Kylin Linux Advanced Server"',
  'VERSION="V10 (Lance)"',
  'ID="kylin"',
  'VERSION_ID="V10"',
  'PRETTY_NAME="Kylin Linux Advanced Server V10 (Lance)"',
  'ANSI_COLOR="0;31"',
  "",
].join("\n");

/** The system-auth/password-auth shape of an install without an authselect profile. */
const RHEL_AUTH_STACK = [
  "#%PAM-1.0",
  "# test host stand-in of the RHEL-family file (written by src/sandbox/netns-redhat.ts)",
  "auth        required      pam_env.so",
  "auth        sufficient    pam_unix.so try_first_pass nullok",
  "auth        required      pam_deny.so",
  "",
  "account     required      pam_unix.so",
  "",
  "password    sufficient    pam_unix.so sha512 shadow nullok try_first_pass use_authtok",
  "password    required      pam_deny.so",
  "",
  "session     required      pam_limits.so",
  "session     required      pam_unix.so",
  "",
].join("\n");

/** firewalld.conf as the firewalld package installs it (the parts that matter here). */
const FIREWALLD_CONF = [
  "# test host stand-in of /etc/firewalld/firewalld.conf (written by src/sandbox/netns-redhat.ts)",
  "DefaultZone=public",
  "FirewallBackend=nftables",
  "",
].join("\n");

/** Turns a freshly mounted host root into a RedHat-family host (see the file's comment). */
export function makeRedHatFamily(root: string): void {
  const write = (file: string, content: string, mode = 0o644) => {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    rmSync(target, { force: true });
    writeFileSync(target, content, { mode });
  };
  write("etc/os-release", KYLIN_V10_OS_RELEASE);
  write("usr/lib/os-release", KYLIN_V10_OS_RELEASE);
  write("etc/kylin-release", "Kylin Linux Advanced Server release V10 (Lance)\n");
  // Debian's marker file would make some tools (and readers) take the host for Debian.
  rmSync(path.join(root, "etc/debian_version"), { force: true });
  write("etc/pam.d/system-auth", RHEL_AUTH_STACK);
  write("etc/pam.d/password-auth", RHEL_AUTH_STACK);
  write("etc/firewalld/firewalld.conf", FIREWALLD_CONF);
  mkdirSync(path.join(root, "etc/firewalld/zones"), { recursive: true });
  // dnf learns the release version from the system-release package of a real install.
  write("etc/dnf/vars/releasever", "10\n");
  mkdirSync(path.join(root, "etc/yum.repos.d"), { recursive: true });
  // An rpm database of the host's own: it starts empty, the tests install their packages into it.
  outputSync("chroot", [root, "rpm", "--initdb"], { stdio: "ignore" });
}
