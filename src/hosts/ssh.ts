/**
 * One command on one of a stack's hosts over SSH, the way Ansible reaches it (same pinned host
 * keys, strict checking, the harness's namespace and key for test hosts), as root through sudo.
 * Backups, upgrades and rebuilds use it for the steps that are not configuration: copying a dump,
 * stopping a service for a minute, reading a file back.
 */
import type { Environment, Host } from "../model/environment.ts";
import { bytesSync, output, run, type RunResult } from "../base/exec.ts";
import type { HostsConnection } from "./connection.ts";

/** The argv of an ssh to `host` (the `ip netns exec` around it for test hosts), without the command. */
export function sshPrefix(
  connection: HostsConnection,
  host: Pick<Host, "name" | "address" | "ssh">,
): string[] {
  const known = connection.knownHostsFiles.join(" ") || "/dev/null";
  const ssh = [
    "ssh",
    ...(connection.identityFile ? ["-i", connection.identityFile] : []),
    "-o",
    `UserKnownHostsFile=${known}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-p",
    String(host.ssh.port),
    `${host.ssh.user}@${host.address}`,
  ];
  return connection.netns ? ["ip", "netns", "exec", connection.netns, ...ssh] : ssh;
}

/** The argv that runs `remote` (a shell command) as root on `host`. */
export function sshArgv(
  connection: HostsConnection,
  host: Pick<Host, "name" | "address" | "ssh">,
  remote: string,
): { command: string; args: string[] } {
  const [command, ...args] = sshPrefix(connection, host);
  return { command: command!, args: [...args, `sudo sh -c ${shellQuote(remote)}`] };
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hostNamed(env: Environment, name: string): Host {
  const host = env.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`the stack ${env.name} declares no host ${name} (hosts[].name)`);
  return host;
}

/** Runs `remote` on the host; its stdout, or an error naming the host and what it printed. */
export async function onHost(
  connection: HostsConnection,
  host: Pick<Host, "name" | "address" | "ssh">,
  remote: string,
  input?: string | Buffer,
): Promise<string> {
  const { command, args } = sshArgv(connection, host, remote);
  try {
    return await output(command, args, input !== undefined ? { input } : {});
  } catch (error) {
    throw new Error(
      `on ${host.name} (${host.address}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Like onHost, but a failing command is a result (a health check that says no). */
export function tryOnHost(
  connection: HostsConnection,
  host: Pick<Host, "name" | "address" | "ssh">,
  remote: string,
): Promise<RunResult> {
  const { command, args } = sshArgv(connection, host, remote);
  return run(command, args);
}

/** A file of the host, as bytes. */
export function readHostFile(
  connection: HostsConnection,
  host: Pick<Host, "name" | "address" | "ssh">,
  file: string,
): Buffer {
  const { command, args } = sshArgv(connection, host, `cat ${shellQuote(file)}`);
  return bytesSync(command, args);
}
