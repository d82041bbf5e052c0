import path from "node:path";
import type { Command } from "commander";
import { loadValidStack } from "../config/load.ts";
import { SANDBOX_HOSTS_DIR } from "../hosts/connection.ts";
import { managedHosts } from "../hosts/source.ts";
import { cannotMakeHosts, hostsDown, hostsUp, readState } from "../sandbox/netns.ts";
import { testHostFamily } from "../sandbox/netns-redhat.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command("sandbox-hosts")
    .description(
      "the sandbox stack's hosts as network-namespace test hosts with real sshd (root; ip netns, debootstrap): up, down, status",
    );
  command
    .command("up")
    .description("make the sandbox hosts (first run builds a cached Debian tree, about 45 s)")
    .action(async () => {
      const why = cannotMakeHosts();
      if (why) throw new Error(`cannot make the sandbox hosts: ${why}`);
      const { env } = await loadValidStack("sandbox");
      const state = await hostsUp({
        stateDir: SANDBOX_HOSTS_DIR,
        tag: "sbx",
        // Each host of the family its declared OS belongs to (a RedHat-family one is Kylin-shaped).
        hosts: managedHosts(env).map((h) => ({
          name: h.name,
          address: h.address,
          family: testHostFamily(h.os),
        })),
        user: managedHosts(env)[0]?.ssh.user,
        signatureServers: [{ host: env.interfaces.signature.host, port: env.interfaces.signature.port }],
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(
        `sandbox hosts up: ${state.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}\n` +
          `plan, apply and drift --stack sandbox now include them; 'ebill-ops sandbox-hosts down' removes them\n`,
      );
    });
  command
    .command("down")
    .description("remove the sandbox hosts: processes, namespaces, mounts (safe to repeat)")
    .action(() => {
      hostsDown(SANDBOX_HOSTS_DIR);
      process.stdout.write("sandbox hosts removed\n");
    });
  command
    .command("status")
    .description("say whether the sandbox hosts are up (exit 0 up, 1 not)")
    .action(() => {
      const state = readState(SANDBOX_HOSTS_DIR);
      if (!state || state.hosts.length === 0) {
        process.stdout.write(
          `sandbox hosts: not running (${path.relative(process.cwd(), SANDBOX_HOSTS_DIR) || "."})\n`,
        );
        setExit(1);
        return;
      }
      process.stdout.write(
        `sandbox hosts: ${state.hosts.map((h) => `${h.name} ${h.address} (namespace ${h.namespace})`).join(", ")}\n`,
      );
    });
}
