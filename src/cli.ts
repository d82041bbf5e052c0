/**
 * `ebill-ops <command>`: each command lives in src/commands/<name>.ts and registers itself here.
 * Exit codes are part of the contract (docs/architecture.md): 0 ok/none, 2 changes/drift, 1 error.
 */
import { Command, CommanderError } from "commander";

export interface CommandModule {
  register(program: Command, setExit: (code: number) => void): void;
}

/**
 * Every command by its name, in the order an engineer meets them: the change flow, the sandbox,
 * hosts, year end, CI steps. A command's module is loaded when that command runs, so
 * `ebill-ops validate` loads nothing of the database's, the hosts' or the year end's code (the
 * compiled tool is split along these imports, bin/build.mjs). `--help` prints the help the build
 * wrote (fullHelp); run from src/, it loads them all.
 */
export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  validate: () => import("./commands/validate.ts"),
  plan: () => import("./commands/plan.ts"),
  apply: () => import("./commands/apply.ts"),
  drift: () => import("./commands/drift.ts"),
  history: () => import("./commands/history.ts"),
  rollback: () => import("./commands/rollback.ts"),
  account: () => import("./commands/account.ts"),
  fix: () => import("./commands/fix.ts"),
  sandbox: () => import("./commands/sandbox.ts"),
  "sandbox-hosts": () => import("./commands/sandbox-hosts.ts"),
  inventory: () => import("./commands/inventory.ts"),
  ansible: () => import("./commands/ansible.ts"),
  patch: () => import("./commands/patch.ts"),
  inspect: () => import("./commands/inspect.ts"),
  monitor: () => import("./commands/monitor.ts"),
  rollover: () => import("./commands/rollover.ts"),
  probe: () => import("./commands/probe.ts"),
  diagnose: () => import("./commands/diagnose.ts"),
  reconcile: () => import("./commands/reconcile.ts"),
  retry: () => import("./commands/retry.ts"),
  gitops: () => import("./commands/gitops.ts"),
  generate: () => import("./commands/generate.ts"),
  backup: () => import("./commands/backup.ts"),
  upgrade: () => import("./commands/upgrade.ts"),
  host: () => import("./commands/host.ts"),
};

function rootProgram(): Command {
  return new Command("ebill-ops")
    .description(
      "GitOps operations for a hospital's medical electronic-bill system (医疗电子票据管理系统).\n" +
        "Stacks (one environment each) live in stacks/; --stack takes a name there or a path to a .ts, .json or .yaml file.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
}

/**
 * What `ebill-ops --help` prints: every command registered. The build writes it beside dist/
 * (bin/build.mjs), so `--help` prints it without loading every command's code (a third of a
 * second on the project's machine, three times a bare `node`).
 */
export async function fullHelp(): Promise<string> {
  // 80 columns, as commander wraps help printed to a pipe: the same text whatever built it.
  const program = rootProgram().configureHelp({ helpWidth: 80 });
  for (const command of await Promise.all(Object.values(COMMANDS).map((load) => load())))
    command.register(program, () => undefined);
  return program.helpInformation();
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = rootProgram();
  try {
    // The command named first, or (--help, a mistyped name) all of them, so help lists them all.
    const named = Object.hasOwn(COMMANDS, argv[0] ?? "") ? [COMMANDS[argv[0]!]!] : Object.values(COMMANDS);
    for (const command of await Promise.all(named.map((load) => load())))
      command.register(program, (code) => (exitCode = code));
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    process.stderr.write(`ebill-ops: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.EBILL_OPS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
