/**
 * The one wrapper around `ansible-playbook`: every run gets the stack's inventory (rendered fresh
 * from the declaration), tasks/ansible/ansible.cfg, pinned host keys with strict checking, the
 * stack's role variables, and its secrets from a temporary 0600 extra-vars file that is removed
 * when the run ends. Namespace test hosts are reached by running inside their controller namespace.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { renderInventory } from "../inventory/render.ts";
import type { Environment } from "../model/environment.ts";
import type { HostsConnection } from "./connection.ts";
import { hostVars, secretVars } from "./vars.ts";
import { onPath, run } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

export const ANSIBLE_DIR = path.join(REPO_ROOT, "tasks", "ansible");

export const INSTALL_ANSIBLE =
  "Ansible is not installed: as root run 'apt-get install -y ansible' (Debian/Ubuntu; the OS repository is enough, no internet needed)";

export function ansibleInstalled(): boolean {
  return onPath("ansible-playbook");
}

export interface PlaybookRun {
  playbook: string;
  check?: boolean;
  diff?: boolean;
  /** Host names; the run touches only these. */
  limit?: readonly string[];
  /** Machine-readable results (the JSON callback) on stdout instead of the human output. */
  json?: boolean;
  /** More ansible-playbook arguments, e.g. ["-e", "x=1"]. */
  args?: readonly string[];
  /** More environment for ansible-playbook (measurements switch pipelining or ControlPersist). */
  env?: Record<string, string>;
  /** "inherit" streams to the terminal (the `ansible` command). */
  stdio?: "pipe" | "inherit";
}

export interface PlaybookResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** The command line and environment of one run; `cleanup()` removes the temporary files. */
export async function playbookCommand(
  env: Environment,
  connection: HostsConnection,
  run: PlaybookRun,
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(tmpdir(), "ebill-ops-ansible-"));
  chmodSync(dir, 0o700);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const inventory = path.join(dir, "hosts.yml");
    writeFileSync(inventory, (await renderInventory(env)).hosts);
    const varsFile = path.join(dir, "vars.json");
    writeFileSync(varsFile, JSON.stringify(hostVars(env, connection), null, 2));
    const secretsFile = path.join(dir, "secrets.json");
    writeFileSync(secretsFile, JSON.stringify(secretVars(env)), { mode: 0o600 });

    const playbook = path.isAbsolute(run.playbook) ? run.playbook : path.join(ANSIBLE_DIR, run.playbook);
    const args = ["-i", inventory, "-e", `@${varsFile}`, "-e", `@${secretsFile}`];
    if (connection.identityFile) args.push("--private-key", connection.identityFile);
    if (run.check) args.push("--check");
    if (run.diff) args.push("--diff");
    if (run.limit) args.push("--limit", run.limit.join(","));
    args.push(...(run.args ?? []), playbook);

    const knownHosts = connection.knownHostsFiles.filter((f) => existsSync(f));
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, "ansible.cfg"),
      ANSIBLE_ROLES_PATH: path.join(ANSIBLE_DIR, "roles"),
      ANSIBLE_HOST_KEY_CHECKING: "True",
      ANSIBLE_SSH_COMMON_ARGS: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile="${knownHosts.join(" ") || "/dev/null"}"`,
      ANSIBLE_RETRY_FILES_ENABLED: "False",
      ANSIBLE_NOCOLOR: run.json ? "1" : (process.env.ANSIBLE_NOCOLOR ?? ""),
      ...(run.json ? { ANSIBLE_STDOUT_CALLBACK: "json", ANSIBLE_JSON_INDENT: "0" } : {}),
      ...(connection.stateFile
        ? { ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(path.dirname(connection.stateFile), "cp") }
        : {}),
      ...run.env,
    };
    if (connection.netns) {
      return {
        command: "ip",
        args: ["netns", "exec", connection.netns, "ansible-playbook", ...args],
        env: childEnv,
        cleanup,
      };
    }
    return { command: "ansible-playbook", args, env: childEnv, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

export async function runPlaybook(
  env: Environment,
  connection: HostsConnection,
  request: PlaybookRun,
): Promise<PlaybookResult> {
  if (!ansibleInstalled()) throw new Error(INSTALL_ANSIBLE);
  const cmd = await playbookCommand(env, connection, request);
  const started = Date.now();
  try {
    const result = await run(cmd.command, cmd.args, { env: cmd.env, cwd: ANSIBLE_DIR, stdio: request.stdio });
    return {
      code: result.code ?? 1,
      stdout: result.stdout,
      stderr: result.stderr,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    cmd.cleanup();
  }
}
