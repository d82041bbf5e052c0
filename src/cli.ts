/**
 * `ebill-ops <command>`: each command lives in src/commands/<name>.ts and registers itself here.
 * Exit codes are part of the contract (docs/architecture.md): 0 ok/none, 2 changes/drift, 1 error.
 */
import { Command, CommanderError } from "commander";
import * as validate from "./commands/validate.ts";
import * as inventory from "./commands/inventory.ts";
import * as generate from "./commands/generate.ts";
import * as gitops from "./commands/gitops.ts";
import * as rollback from "./commands/rollback.ts";
import * as rollover from "./commands/rollover.ts";
import * as plan from "./commands/plan.ts";
import * as apply from "./commands/apply.ts";
import * as drift from "./commands/drift.ts";
import * as history from "./commands/history.ts";
import * as sandbox from "./commands/sandbox.ts";
import * as ansible from "./commands/ansible.ts";
import * as patch from "./commands/patch.ts";
import * as sandboxHosts from "./commands/sandbox-hosts.ts";

export interface CommandModule {
  register(program: Command, setExit: (code: number) => void): void;
}

// In the order an engineer meets them: the change flow, the sandbox, hosts, year end, CI steps.
const COMMANDS: CommandModule[] = [
  validate,
  plan,
  apply,
  drift,
  history,
  rollback,
  sandbox,
  sandboxHosts,
  inventory,
  ansible,
  patch,
  rollover,
  gitops,
  generate,
];

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command("ebill-ops")
    .description(
      "GitOps operations for a hospital's medical electronic-bill system (医疗电子票据管理系统).\n" +
        "Stacks (one environment each) live in stacks/; --stack takes a name there or a path to a .ts, .json or .yaml file.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const command of COMMANDS) command.register(program, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    process.stderr.write(`ebill-ops: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.EBILL_OPS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
