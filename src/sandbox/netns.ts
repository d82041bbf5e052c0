/**
 * Test hosts: network namespaces, each with its own root file system (an overlayfs over the cached
 * debootstrap tree) and its own sshd, reachable over real SSH. Used by the host tests and by
 * `ebill-ops sandbox-hosts up`.
 *
 * Network: every address lives inside namespaces this harness creates. A controller namespace
 * holds a bridge with `<subnet>.1`; each host namespace has `eth0` (a veth whose peer sits on that
 * bridge) with its declared address. Ansible runs inside the controller namespace
 * (`ip netns exec <controller> ...`, see src/hosts/connection.ts), so the machine's own network is
 * never touched: no address, route or sysctl outside our namespaces.
 *
 * State (names, pids, mounts) is written to `<stateDir>/state.json` before anything is created, so
 * `hostsDown(stateDir)` can always clean up, also after a crash, and can be run again.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureRootfs } from "./netns-rootfs.ts";
import { makeRedHatFamily, type TestHostFamily } from "./netns-redhat.ts";
import { onPath, outputSync, runSync, start } from "../base/exec.ts";

export interface TestHostSpec {
  name: string;
  address: string;
  /** Debian (the default) or RedHat: a Kylin V10-shaped host with dnf and rpm (netns-redhat.ts). */
  family?: TestHostFamily;
}

export interface TestHost extends TestHostSpec {
  namespace: string;
  /** The host's merged root (overlayfs); read or edit its files from the machine. */
  root: string;
  /** `ssh-ed25519 AAAA...` */
  hostKey: string;
}

/** What src/hosts/connection.ts reads to reach the hosts (also written as state.json). */
export interface HostsState {
  version: 1;
  controllerNamespace: string;
  subnet: string;
  knownHostsFile: string;
  identityFile: string;
  user: string;
  serviceManager: "script";
  hosts: TestHost[];
  /** The process that made the hosts; a sweep removes hosts whose maker is gone. */
  ownerPid: number;
  /** Everything to undo, in order; kept even when `up` fails half way. */
  cleanup: { namespaces: string[]; mounts: string[]; dirs: string[] };
}

export interface HostsUpOptions {
  stateDir: string;
  hosts: TestHostSpec[];
  /** Short tag that makes namespace names unique on the machine, e.g. `t1234`. */
  tag: string;
  /** The operations account Ansible logs in as (the stack's `ssh.user`). */
  user?: string;
  /**
   * Stand-ins for signature-server appliances: a TLS listener (`openssl s_server`, self-signed
   * certificate valid `days`) on the named host, so the signature probe has something real to probe.
   */
  signatureServers?: { host: string; port: number; days?: number }[];
  log?: (line: string) => void;
}

export function stateFile(stateDir: string): string {
  return path.join(stateDir, "state.json");
}

/** Why namespace hosts cannot be made here, or undefined when they can. */
export function cannotMakeHosts(): string | undefined {
  if (process.platform !== "linux") return "namespace test hosts need Linux";
  if (process.getuid?.() !== 0)
    return "namespace test hosts need root (ip netns, mount, chroot); run as root";
  for (const tool of ["ip", "debootstrap", "ssh", "ssh-keygen", "unshare", "chroot"])
    if (!onPath(tool))
      return `'${tool}' is not installed (apt-get install -y iproute2 debootstrap openssh-client util-linux coreutils)`;
  if (runSync("ip", ["netns", "list"], { stdio: "ignore" }).code !== 0)
    return "'ip netns' does not work here (no network-namespace support)";
  return undefined;
}

const run = (cmd: string, args: string[], input?: string): string => outputSync(cmd, args, { input });

function subnetOf(address: string): string {
  return address.split(".").slice(0, 3).join(".");
}

export async function hostsUp(options: HostsUpOptions): Promise<HostsState> {
  const why = cannotMakeHosts();
  if (why) throw new Error(why);
  const log = options.log ?? (() => {});
  const user = options.user ?? "ebillops";
  const subnet = sharedSubnet(options.hosts);

  const stateDir = path.resolve(options.stateDir);
  if (existsSync(stateFile(stateDir))) hostsDown(stateDir);
  const controller = `ebill-${options.tag}-ctl`;
  // Checked before anything is recorded for cleanup: a failed start must never tear down hosts
  // that another checkout (or another run) made under the same names.
  if (namespaceExists(controller))
    throw new Error(
      `network namespace ${controller} already exists: test hosts tagged '${options.tag}' are up from another ` +
        `checkout or run. Run 'ebill-ops sandbox-hosts down' there (or, if it is gone, 'ip netns delete' the ` +
        `ebill-${options.tag}-* namespaces listed by 'ip netns list'); nothing was changed`,
    );
  const base = ensureRootfs(log);
  mkdirSync(stateDir, { recursive: true });
  const state: HostsState = {
    version: 1,
    controllerNamespace: controller,
    subnet: `${subnet}.0/24`,
    knownHostsFile: path.join(stateDir, "known_hosts"),
    identityFile: path.join(stateDir, "id_ed25519"),
    user,
    serviceManager: "script",
    hosts: [],
    ownerPid: process.pid,
    cleanup: { namespaces: [], mounts: [], dirs: [] },
  };
  const save = () => writeFileSync(stateFile(stateDir), JSON.stringify(state, null, 2) + "\n");

  try {
    rmSync(state.identityFile, { force: true });
    rmSync(`${state.identityFile}.pub`, { force: true });
    newEd25519Key(state.identityFile, "ebill-ops test harness");
    const clientKey = readFileSync(`${state.identityFile}.pub`, "utf8").trim();

    state.cleanup.namespaces.push(controller);
    save();
    addController(controller, subnet);
    for (const [index, spec] of options.hosts.entries())
      addHost(state, spec, index, { tag: options.tag, stateDir, base, subnet, clientKey }, save);

    for (const sig of options.signatureServers ?? []) {
      const host = state.hosts.find((h) => h.name === sig.host);
      if (!host) throw new Error(`signature server host ${sig.host} is not among the test hosts`);
      startSignatureServer(host, sig.port, sig.days ?? 365);
    }
    writeFileSync(state.knownHostsFile, state.hosts.map((h) => `${h.address} ${h.hostKey}\n`).join(""));
    save();
    for (const host of state.hosts) await waitForSsh(state, host);
    log(`test hosts up: ${state.hosts.map((h) => `${h.name} (${h.address})`).join(", ")}`);
    return state;
  } catch (error) {
    hostsDown(stateDir);
    throw error;
  }
}

/** The one /24 of 10.231.0.0/16 that every test host shares: its first three octets. */
function sharedSubnet(hosts: readonly TestHostSpec[]): string {
  const subnets = new Set(hosts.map((h) => subnetOf(h.address)));
  if (subnets.size !== 1) throw new Error(`test hosts must share one /24, got ${[...subnets].join(", ")}`);
  const subnet = [...subnets][0]!;
  if (!subnet.startsWith("10.231.")) throw new Error(`test hosts use 10.231.0.0/16 only, got ${subnet}.0/24`);
  return subnet;
}

/** The controller's namespace: a bridge at <subnet>.1 that every host's link joins. */
function namespaceExists(name: string): boolean {
  return run("ip", ["netns", "list"])
    .split("\n")
    .some((line) => line.split(" ")[0] === name);
}

function addController(controller: string, subnet: string): void {
  run("ip", ["netns", "add", controller]);
  run("ip", ["-n", controller, "link", "set", "lo", "up"]);
  run("ip", ["-n", controller, "link", "add", "br0", "type", "bridge"]);
  run("ip", ["-n", controller, "addr", "add", `${subnet}.1/24`, "dev", "br0"]);
  run("ip", ["-n", controller, "link", "set", "br0", "up"]);
}

/**
 * One host: an overlay on the base tree as its root, its own namespace linked to the controller's
 * bridge, sshd started. What it makes is recorded (and saved) before it is made, for hostsDown.
 */
function addHost(
  state: HostsState,
  spec: TestHostSpec,
  index: number,
  where: { tag: string; stateDir: string; base: string; subnet: string; clientKey: string },
  save: () => void,
): void {
  const controller = state.controllerNamespace;
  const namespace = `ebill-${where.tag}-${spec.name}`;
  const hostDir = path.join(where.stateDir, "hosts", spec.name);
  const root = path.join(hostDir, "root");
  for (const d of ["upper", "work", "root"]) mkdirSync(path.join(hostDir, d), { recursive: true });
  state.cleanup.dirs.push(hostDir);
  state.cleanup.mounts.push(root);
  state.cleanup.namespaces.push(namespace);
  save();

  run("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${where.base},upperdir=${path.join(hostDir, "upper")},workdir=${path.join(hostDir, "work")}`,
    root,
  ]);
  const hostKey = prepareHostRoot(root, spec.name, state.user, where.clientKey);
  if (spec.family === "RedHat") makeRedHatFamily(root);

  run("ip", ["netns", "add", namespace]);
  run("ip", ["-n", namespace, "link", "set", "lo", "up"]);
  const peer = `vh${index}`;
  run("ip", [
    "-n",
    controller,
    "link",
    "add",
    peer,
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    namespace,
  ]);
  run("ip", ["-n", controller, "link", "set", peer, "master", "br0", "up"]);
  run("ip", ["-n", namespace, "addr", "add", `${spec.address}/24`, "dev", "eth0"]);
  run("ip", ["-n", namespace, "link", "set", "eth0", "up"]);
  run("ip", ["-n", namespace, "route", "add", "default", "via", `${where.subnet}.1`]);

  startSshd(namespace, root, spec.name);
  state.hosts.push({ ...spec, namespace, root, hostKey });
  save();
}

/** A new ed25519 key pair without passphrase at `file` (and `file.pub`). */
function newEd25519Key(file: string, comment: string): void {
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
}

/** Host keys, the operations account with the harness's client key, and passwordless sudo. */
function prepareHostRoot(root: string, name: string, user: string, clientKey: string): string {
  writeFileSync(path.join(root, "etc/hostname"), `${name}\n`);
  // sudo resolves its own host name; without this line it waits for DNS that test hosts cannot reach.
  writeFileSync(path.join(root, "etc/hosts"), `127.0.0.1 localhost\n127.0.1.1 ${name}\n`);
  writeFileSync(path.join(root, "etc/resolv.conf"), "# test host: no DNS\n");
  newEd25519Key(path.join(root, "etc/ssh/ssh_host_ed25519_key"), `root@${name}`);
  // Only the ed25519 key exists; say so, so sshd does not complain about the others.
  writeFileSync(
    path.join(root, "etc/ssh/sshd_config.d/00-test-host.conf"),
    "HostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\n",
  );
  run("chroot", [root, "useradd", "--create-home", "--shell", "/bin/bash", user]);
  const ssh = path.join(root, "home", user, ".ssh");
  mkdirSync(ssh, { recursive: true });
  writeFileSync(path.join(ssh, "authorized_keys"), `${clientKey}\n`);
  run("chroot", [root, "chown", "-R", `${user}:${user}`, `/home/${user}/.ssh`]);
  chmodSync(ssh, 0o700);
  chmodSync(path.join(ssh, "authorized_keys"), 0o600);
  // How the account is bootstrapped on a real server too: by hand, once; the baseline role then manages it.
  writeFileSync(path.join(root, "etc/sudoers.d/00-bootstrap"), `${user} ALL=(ALL) NOPASSWD:ALL\n`, {
    mode: 0o440,
  });
  return readFileSync(path.join(root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8")
    .split(" ")
    .slice(0, 2)
    .join(" ");
}

/**
 * Runs a long-lived shell script in a host's network namespace, in a private mount namespace (and
 * its own UTS namespace when it sets a host name), detached so it outlives this call.
 */
function startInNamespace(namespace: string, script: string, options: { ownHostname: boolean }): void {
  const unshare = [
    "unshare",
    "--mount",
    ...(options.ownHostname ? ["--uts"] : []),
    "--propagation",
    "private",
  ];
  start("ip", ["netns", "exec", namespace, ...unshare, "--fork", "sh", "-c", script], {
    detached: true,
    stdio: "ignore",
  }).unref();
}

/**
 * sshd in the host's namespace, its own mount and UTS namespaces, chrooted into the host's root:
 * /proc and /dev are mounted privately, so nothing shows outside.
 */
function startSshd(namespace: string, root: string, name: string): void {
  const script = [
    "set -e",
    `hostname ${name}`,
    `mount -t proc proc ${root}/proc`,
    `mount --rbind /dev ${root}/dev`,
    `mkdir -p ${root}/run/sshd`,
    `exec chroot ${root} /usr/sbin/sshd -D -e`,
  ].join("\n");
  startInNamespace(namespace, script, { ownHostname: true });
}

function startSignatureServer(host: TestHost, port: number, days: number): void {
  run("chroot", [
    host.root,
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    String(days),
    "-subj",
    `/CN=${host.name} signature server (test stand-in)`,
    "-keyout",
    "/etc/ssl/private/signature-stand-in.key",
    "-out",
    "/etc/ssl/certs/signature-stand-in.crt",
  ]);
  const script = [
    "set -e",
    `mount -t proc proc ${host.root}/proc`,
    `mount --rbind /dev ${host.root}/dev`,
    `exec chroot ${host.root} openssl s_server -quiet -www -accept ${port} -cert /etc/ssl/certs/signature-stand-in.crt -key /etc/ssl/private/signature-stand-in.key`,
  ].join("\n");
  startInNamespace(host.namespace, script, { ownHostname: false });
}

async function waitForSsh(state: HostsState, host: TestHost): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      run("ip", [
        "netns",
        "exec",
        state.controllerNamespace,
        "ssh",
        ...sshOptions(state),
        `${state.user}@${host.address}`,
        "true",
      ]);
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`test host ${host.name} (${host.address}) did not accept SSH within 20 s: ${last}`);
}

export function sshOptions(state: HostsState): string[] {
  return [
    "-i",
    state.identityFile,
    "-o",
    `UserKnownHostsFile=${state.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=3",
  ];
}

/** Runs a shell command on a test host as root over real SSH (sudo), returns stdout. */
export function sshRun(state: HostsState, host: string, command: string): string {
  const h = state.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no test host ${host}`);
  return run("ip", [
    "netns",
    "exec",
    state.controllerNamespace,
    "ssh",
    ...sshOptions(state),
    `${state.user}@${h.address}`,
    `sudo sh -c ${shellQuote(command)}`,
  ]);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A host reinstalled from scratch, as when a server's disk is replaced: its processes killed, its
 * root file system a fresh overlay over the base tree (nothing of what was installed or stored on
 * it), a new SSH host key, sshd started again. The harness's known_hosts keeps the old key, as an
 * operator's would: the new one must be declared before anything connects. Returns the new key.
 */
export async function reinstallHost(stateDir: string, name: string): Promise<string> {
  const state = readState(stateDir);
  const host = state?.hosts.find((h) => h.name === name);
  if (!state || !host) throw new Error(`no test host ${name} in ${stateDir}`);
  for (const pid of run("ip", ["netns", "pids", host.namespace]).split("\n").filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  for (let i = 0; i < 50 && run("ip", ["netns", "pids", host.namespace]).trim() !== ""; i++)
    runSync("sleep", ["0.1"]);
  const hostDir = path.dirname(host.root);
  run("umount", ["-l", host.root]);
  for (const d of ["upper", "work"]) {
    rmSync(path.join(hostDir, d), { recursive: true, force: true });
    mkdirSync(path.join(hostDir, d), { recursive: true });
  }
  run("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${ensureRootfs()},upperdir=${path.join(hostDir, "upper")},workdir=${path.join(hostDir, "work")}`,
    host.root,
  ]);
  const clientKey = readFileSync(`${state.identityFile}.pub`, "utf8").trim();
  host.hostKey = prepareHostRoot(host.root, host.name, state.user, clientKey);
  if (host.family === "RedHat") makeRedHatFamily(host.root);
  startSshd(host.namespace, host.root, host.name);
  writeFileSync(stateFile(path.resolve(stateDir)), JSON.stringify(state, null, 2) + "\n");
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const scan = runSync("ip", [
      "netns",
      "exec",
      state.controllerNamespace,
      "ssh-keyscan",
      "-T",
      "1",
      host.address,
    ]);
    if (scan.stdout.includes(host.hostKey.split(" ")[1]!)) return host.hostKey;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`reinstalled test host ${name} does not answer SSH within 20 s`);
}

export function readState(stateDir: string): HostsState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(path.resolve(stateDir)), "utf8")) as HostsState;
  } catch {
    return undefined;
  }
}

/**
 * Removes everything `hostsUp` made: processes inside our namespaces (by pid, from
 * `ip netns pids`), the namespaces (which removes their veths), the overlay mounts and the host
 * directories. Safe to run again, and after a failed or killed `up`.
 */
export function hostsDown(stateDir: string): void {
  const state = readState(stateDir);
  if (!state) return;
  const errors: string[] = [];
  for (const ns of [...state.cleanup.namespaces].reverse()) {
    let pids: string[] = [];
    try {
      pids = run("ip", ["netns", "pids", ns]).split("\n").filter(Boolean);
    } catch {
      continue; // namespace already gone
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
  }
  // Give the killed processes a moment to release their mount namespaces.
  for (let i = 0; i < 20; i++) {
    const alive = state.cleanup.namespaces.some((ns) => {
      try {
        return run("ip", ["netns", "pids", ns]).trim() !== "";
      } catch {
        return false;
      }
    });
    if (!alive) break;
    runSync("sleep", ["0.1"]);
  }
  for (const ns of [...state.cleanup.namespaces].reverse()) {
    try {
      run("ip", ["netns", "del", ns]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/No such file|Cannot remove/.test(message)) errors.push(`ip netns del ${ns}: ${message}`);
    }
  }
  for (const mount of state.cleanup.mounts) {
    if (!isMounted(mount)) continue;
    try {
      run("umount", ["-l", mount]);
    } catch (error) {
      errors.push(`umount ${mount}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const dir of state.cleanup.dirs) rmSync(dir, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`test host cleanup incomplete:\n  ${errors.join("\n  ")}`);
  rmSync(stateFile(path.resolve(stateDir)), { force: true });
}

function isMounted(dir: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[4] === dir);
}

/**
 * A folder whose state cannot be read yet is left alone this long after its last change: another
 * process may have just made it and not yet written state.json (its hostsUp waits up to 15 min for
 * the debootstrap tree first), or be rewriting the file at the moment we read it.
 */
const UNREADABLE_STATE_GRACE_MS = 20 * 60_000;

/**
 * Removes test hosts left behind by killed test runs: every `<tmpdir>/<prefix>*` state whose
 * owner process is gone. Run at the start of each host test file (several at once, when test files
 * run in parallel), and by hand with `npx tsx test/harness/netns-cleanup.ts`.
 */
export function sweepStaleHosts(prefix = "ebill-hosts-test-", parent = tmpdir()): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(parent).filter((e) => e.startsWith(prefix))) {
    const dir = path.join(parent, entry);
    const state = readState(dir);
    if (state && state.ownerPid && pidAlive(state.ownerPid)) continue;
    if (!state && changedWithin(dir, UNREADABLE_STATE_GRACE_MS)) continue;
    if (state) hostsDown(dir);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function changedWithin(dir: string, ms: number): boolean {
  const changed = statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
  return changed !== undefined && Date.now() - changed < ms;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
