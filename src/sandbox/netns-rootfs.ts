/**
 * The shared root file system of the namespace test hosts: one `debootstrap --variant=minbase`
 * Debian tree, built once and cached under `.cache/netns-rootfs/<key>/` (git-ignored). Each host
 * gets an overlayfs over it (see netns.ts), so files, packages and services on one host touch
 * neither the machine nor the other hosts.
 *
 * The cache key is a hash of everything that goes into the tree (suite, mirror, package list and
 * the preparation steps' version), so changing the package list builds a new tree.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { outputSync, runSync } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

export const ROOTFS_SUITE = "bookworm";
/**
 * What a test host needs: sshd and python for Ansible, sudo for the operations account's `become`,
 * python3-apt for the apt module (patch rollouts), chrony and nftables so the baseline role
 * manages real configuration, openssl for the signature probe.
 *
 * And the RPM side, for the RedHat-family test hosts (netns-redhat.ts): Debian's builds of rpm,
 * dnf with its Python bindings (Ansible's dnf module imports them) and its core plugins
 * (`dnf needs-restarting`). Not firewalld: Debian's needs polkit and logind, which a tree without
 * systemd cannot configure. One tree serves both families, so the cold build stays one debootstrap;
 * a Debian-family host has no rpm repository configured, so dnf there has nothing to act on.
 */
export const ROOTFS_PACKAGES = [
  "openssh-server",
  "python3",
  "python3-apt",
  "sudo",
  "chrony",
  "nftables",
  "openssl",
  "ca-certificates",
  "rpm",
  "dnf",
  "python3-dnf",
  "dnf-plugins-core",
] as const;
/** Bump when the preparation below changes, so old caches are not reused. */
const PREPARATION_VERSION = 1;

export function rootfsMirror(): string {
  return process.env.EBILL_OPS_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
}

export function rootfsKey(): string {
  const material = JSON.stringify([
    ROOTFS_SUITE,
    rootfsMirror(),
    [...ROOTFS_PACKAGES].sort(),
    PREPARATION_VERSION,
  ]);
  return createHash("sha256").update(material).digest("hex").slice(0, 16);
}

export function rootfsCacheDir(): string {
  return path.join(REPO_ROOT, ".cache", "netns-rootfs");
}

/** The finished tree for the current key, or undefined when it has not been built yet. */
export function cachedRootfs(): string | undefined {
  const dir = path.join(rootfsCacheDir(), rootfsKey());
  return existsSync(path.join(dir, "READY")) ? path.join(dir, "root") : undefined;
}

/**
 * Builds the tree when missing (about 40-60 s cold) and returns its path. A lock directory keeps
 * two concurrent test files from building the same tree; the tree is built in a temporary folder
 * and renamed, so a killed build never leaves a half tree marked ready.
 */
export function ensureRootfs(log: (line: string) => void = () => {}): string {
  const ready = cachedRootfs();
  if (ready) return ready;
  const base = rootfsCacheDir();
  mkdirSync(base, { recursive: true });
  const key = rootfsKey();
  const dir = path.join(base, key);
  const lock = path.join(base, `${key}.lock`);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileOr(path.join(lock, "pid"), "0"));
      if (holder && !processAlive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock}; remove it if no build is running`);
      runSync("sleep", ["1"]);
      const done = cachedRootfs();
      if (done) return done;
    }
  }
  try {
    const done = cachedRootfs();
    if (done) return done;
    const work = `${dir}.building-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const root = path.join(work, "root");
    const started = Date.now();
    log(`building the test-host root file system (debootstrap ${ROOTFS_SUITE}, once; cached in ${dir})`);
    outputSync("debootstrap", [
      "--variant=minbase",
      `--include=${ROOTFS_PACKAGES.join(",")}`,
      ROOTFS_SUITE,
      root,
      rootfsMirror(),
    ]);
    prepare(root);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    writeFileSync(path.join(work, "READY"), `built in ${seconds} s\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    log(`root file system built in ${seconds} s`);
    return path.join(dir, "root");
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** What every test host shares: no host keys (each host makes its own), no apt sources (offline). */
function prepare(root: string): void {
  for (const file of outputSync("sh", ["-c", `ls ${root}/etc/ssh/ssh_host_* 2>/dev/null || true`])
    .split("\n")
    .filter(Boolean))
    rmSync(file, { force: true });
  // Test hosts reach no Debian mirror: only the local file:// repository a test adds.
  rmSync(path.join(root, "etc/apt/sources.list"), { force: true });
  writeFileSync(
    path.join(root, "etc/apt/sources.list"),
    "# test host: repositories are added by the tests\n",
  );
  rmSync(path.join(root, "var/lib/apt/lists"), { recursive: true, force: true });
  mkdirSync(path.join(root, "var/lib/apt/lists/partial"), { recursive: true });
  writeFileSync(path.join(root, "etc/hostname"), "testhost\n");
}

function readFileOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `npx tsx src/sandbox/netns-rootfs.ts` builds the cache ahead of the tests (CI does this first).
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureRootfs((line) => console.log(line)));
}
