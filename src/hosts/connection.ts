/**
 * How Ansible reaches a stack's hosts. On real networks: the operator's SSH keys and the pinned
 * host keys of `inventory/<stack>/known_hosts`. For namespace test hosts (the sandbox and the
 * tests) a harness state file says more: which network namespace to run Ansible in (the hosts'
 * addresses exist only there), the harness's known_hosts and client key, and that services run
 * under a start script because there is no systemd.
 *
 * The state file is `$EBILL_OPS_HOSTS_STATE`, or `.sandbox/hosts/state.json` for the sandbox stack
 * (written by `ebill-ops sandbox-hosts up`).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Environment } from "../model/environment.ts";
import { isManaged } from "../inventory/render.ts";
import { REPO_ROOT } from "../base/paths.ts";

export const SANDBOX_HOSTS_DIR = path.join(REPO_ROOT, ".sandbox", "hosts");

/** The part of the test-host harness state (src/sandbox/netns.ts) that connecting needs. */
export interface NamespaceHosts {
  controllerNamespace: string;
  knownHostsFile: string;
  identityFile: string;
  serviceManager: "script";
  hosts: { name: string; address: string }[];
}

export interface HostsConnection {
  /** Run ansible/ssh inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Files of pinned host keys; strict host-key checking is always on. */
  knownHostsFiles: string[];
  identityFile?: string;
  serviceManager: "systemd" | "script";
  /** Namespace test hosts: no vendor archive, no database server; stand-ins are installed. */
  testHosts: boolean;
  /** Where the namespace hosts were described, for messages. */
  stateFile?: string;
}

export function hostsStateFile(env: Environment): string | undefined {
  const fromEnv = process.env.EBILL_OPS_HOSTS_STATE;
  if (fromEnv) return path.resolve(fromEnv);
  if (env.kind === "sandbox") return path.join(SANDBOX_HOSTS_DIR, "state.json");
  return undefined;
}

export function readNamespaceHosts(file: string): NamespaceHosts | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as NamespaceHosts;
  } catch {
    return undefined;
  }
}

/**
 * The connection for a stack, or a reason it cannot be made (the sandbox hosts are not up, or a
 * declared host is not among them).
 */
export function hostsConnection(
  env: Environment,
): { ok: true; value: HostsConnection } | { ok: false; reason: string } {
  const committed = path.join(REPO_ROOT, "inventory", env.name, "known_hosts");
  const stateFile = hostsStateFile(env);
  if (!stateFile) {
    return {
      ok: true,
      value: { knownHostsFiles: [committed], serviceManager: "systemd", testHosts: false },
    };
  }
  const state = readNamespaceHosts(stateFile);
  if (!state) {
    return {
      ok: false,
      reason:
        env.kind === "sandbox"
          ? "the sandbox hosts are not running; as root run 'ebill-ops sandbox-hosts up' (needs ip netns and debootstrap)"
          : `no test hosts described in ${stateFile}`,
    };
  }
  const missing = env.hosts.filter(
    (h) => isManaged(h) && !state.hosts.some((s) => s.name === h.name && s.address === h.address),
  );
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `the running test hosts (${stateFile}) do not include ${missing.map((h) => `${h.name} ${h.address}`).join(", ")}; run 'ebill-ops sandbox-hosts up' again`,
    };
  }
  return {
    ok: true,
    value: {
      netns: state.controllerNamespace,
      knownHostsFiles: [state.knownHostsFile],
      identityFile: state.identityFile,
      serviceManager: state.serviceManager,
      testHosts: true,
      stateFile,
    },
  };
}
