import type { Command } from "commander";
import {
  sandboxDown,
  sandboxReset,
  sandboxStatus,
  sandboxUp,
  type SandboxStatus,
} from "../sandbox/sandbox.ts";

const say = (line: string) => process.stdout.write(line + "\n");

function printStatus(s: SandboxStatus): void {
  say(`sandbox:  ${s.running ? `running (pid ${s.pid})` : "stopped"}`);
  say(`address:  127.0.0.1:${s.port}`);
  say(`data dir: ${s.dataDir}`);
  say(`service:  ${s.service ?? "not running (started by 'sandbox up')"}`);
  if (s.running)
    say(
      `bills:    ${s.bills === null ? `unknown (${s.error ?? "not readable"})` : s.bills.toLocaleString("en")}`,
    );
}

export function register(program: Command, setExit: (code: number) => void): void {
  const sandbox = program
    .command("sandbox")
    .description(
      "the local sandbox hospital: a real PostgreSQL under .sandbox/ on 127.0.0.1:54329 ($EBILL_SANDBOX_PG_PORT) that stacks/sandbox.ts points at",
    )
    .addHelpText("after", "\nSee docs/database.md.");
  sandbox
    .command("up")
    .description(
      "start it (kept running after the command); the first start creates the reference schema and seed",
    )
    .option(
      "--reset-if-other-year",
      "if its database was seeded for another year than the sandbox stack now declares (the calendar moved on), reset it first",
    )
    .action(async (options: { resetIfOtherYear?: boolean }) => {
      await sandboxUp(say, { resetIfOtherYear: options.resetIfOtherYear });
    });
  sandbox
    .command("down")
    .description("stop it; the data stays in .sandbox/ until reset")
    .action(async () => {
      await sandboxDown(say);
    });
  sandbox
    .command("status")
    .description("running or stopped, address, data directory, number of issued bills (exit 3 when stopped)")
    .option("--json", "print the status as JSON")
    .action(async (options: { json?: boolean }) => {
      const status = await sandboxStatus();
      if (options.json) say(JSON.stringify(status, null, 2));
      else printStatus(status);
      setExit(status.running ? 0 : 3);
    });
  sandbox
    .command("reset")
    .description(
      "stop it, delete its database (.sandbox/data, .sandbox/tablespaces) and start a fresh, freshly seeded one; secrets are kept",
    )
    .action(async () => {
      await sandboxReset(say);
    });
}
