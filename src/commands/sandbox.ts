import type { Command } from "commander";
import { sandboxRoot } from "../base/paths.ts";
import { loadValidStack } from "../config/load.ts";
import { resolveSecret } from "../config/secrets.ts";
import { withClient } from "../db/connect.ts";
import { schemaOf } from "../db/reference-schema.ts";
import { FAULT_NAMES, faultsFile, parseFault, parseFaults, readFaults } from "../simulator/faults.ts";
import { readSimulatorState, simulatorDir } from "../simulator/state.ts";
import { clearFaults, runTraffic, switchOnFaults } from "../simulator/traffic.ts";
import {
  sandboxDown,
  sandboxReset,
  sandboxStackRef,
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
      "start it and the simulated e-bill service (both kept running after the command); the first start creates the reference schema and seed",
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
  registerTraffic(sandbox, setExit);
}

/** The running simulator and the sandbox stack, or an error saying to start it. */
async function runningService() {
  const state = readSimulatorState(sandboxRoot());
  if (!state)
    throw new Error(
      "the sandbox's e-bill service simulator is not running: start it with 'ebill-ops sandbox up'",
    );
  const { env } = await loadValidStack(sandboxStackRef());
  const service = {
    url: state.url,
    appId: env.interfaces.fiscal.appId,
    appKey: resolveSecret(env.interfaces.fiscal.appKey),
  };
  return { state, env, service };
}

function registerTraffic(sandbox: Command, setExit: (code: number) => void): void {
  sandbox
    .command("traffic")
    .description(
      "play a day of the sandbox HIS against the simulated e-bill service over its protocol, keeping the HIS's ledger (for reconcile); --faults switches faults on for the run",
    )
    .option("--bills <n>", "businesses to send", "200")
    .option("--faults <list>", `comma-separated: ${FAULT_NAMES.join(", ")}`)
    .option("--keep-faults", "leave the service-side faults on after the run")
    .option("--json", "print the summary as JSON")
    .action(async (options: { bills: string; faults?: string; keepFaults?: boolean; json?: boolean }) => {
      const bills = Number(options.bills);
      if (!Number.isInteger(bills) || bills < 1 || bills > 1_000_000)
        throw new Error(`--bills '${options.bills}' is not a whole number from 1 to 1000000`);
      const faults = parseFaults(options.faults);
      const { state, env, service } = await runningService();
      const summary = await withClient(env, (db) =>
        runTraffic({
          env,
          service,
          db,
          faultsFile: state.faultsFile,
          bills,
          faults,
          keepFaults: options.keepFaults,
          say: (line) => process.stderr.write(line + "\n"),
        }),
      );
      if (options.json) say(JSON.stringify(summary, null, 2));
      else {
        say(
          `run ${summary.run}: ${summary.issued} of ${summary.businesses} businesses issued, ${summary.refunds} refunds (red-flush)`,
        );
        for (const [code, n] of Object.entries(summary.failed)) say(`  failed ${code}: ${n}`);
        if (summary.printed + summary.printFailed > 0)
          say(`  printed ${summary.printed}, print failed ${summary.printFailed}`);
        if (faults.length > 0)
          say(`  faults: ${faults.join(", ")}${options.keepFaults ? " (kept on)" : " (switched off again)"}`);
        if (!summary.settled) say("  some bills were still being archived or pushed when the run ended");
      }
      setExit(0);
    });
  const fault = sandbox.command("fault").description("switch the simulated service's faults on and off");
  fault
    .command("list")
    .description("the faults switched on now")
    .action(async () => {
      const on = await readFaults(faultsFile(simulatorDir(sandboxRoot())));
      say(on.length === 0 ? "no fault is on" : on.join("\n"));
    });
  fault
    .command("set")
    .description(
      `switch faults on: ${FAULT_NAMES.join(", ")} (the client-side ones take effect in 'sandbox traffic --faults')`,
    )
    .argument("<faults...>")
    .action(async (names: string[]) => {
      const faults = names.map(parseFault);
      const { env, state } = await runningService();
      await withClient(env, (db) =>
        switchOnFaults({ db, faults, faultsFile: state.faultsFile }, schemaOf(env)),
      );
      say(`on: ${(await readFaults(state.faultsFile)).join(", ")}`);
    });
  fault
    .command("clear")
    .description("switch faults off (all when none is named)")
    .argument("[faults...]")
    .action(async (names: string[]) => {
      const { env, state } = await runningService();
      const off = await withClient(env, (db) =>
        clearFaults(db, env, state.faultsFile, names.length > 0 ? names.map(parseFault) : undefined),
      );
      say(off.length === 0 ? "no fault was on" : `off: ${off.join(", ")}`);
    });
}
