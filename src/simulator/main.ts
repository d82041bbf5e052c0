/**
 * The simulator as a program of its own, started detached by `sandbox up` (src/simulator/launch.ts):
 *   node dist/simulator.js <stack> <sandbox root>
 * It serves until SIGTERM, then finishes the bills in flight and removes its state file.
 */
import path from "node:path";
import { loadValidStack } from "../config/load.ts";
import { resolveSecret } from "../config/secrets.ts";
import { startSimulator } from "./server.ts";
import { removeSimulatorState, simulatorDir, writeSimulatorState } from "./state.ts";

const [stack, root] = process.argv.slice(2);
if (!stack || !root) {
  process.stderr.write("usage: simulator <stack> <sandbox root>\n");
  process.exit(1);
}
const { env } = await loadValidStack(stack);
const appKey = resolveSecret(env.interfaces.fiscal.appKey, [path.join(root, "secrets.env")]);
const port = Number(process.env.EBILL_SANDBOX_SERVICE_PORT || 0);
const simulator = await startSimulator({ env, appKey, dir: simulatorDir(root), port });
await writeSimulatorState(root, {
  pid: process.pid,
  url: simulator.url,
  port: simulator.port,
  standIns: {
    signature: simulator.standIns.signature.port,
    fiscal: simulator.standIns.fiscal.port,
    push: simulator.standIns.push.port,
  },
  archiveDir: simulator.archiveDir,
  faultsFile: simulator.faultsFile,
  stack,
  startedAt: new Date().toISOString(),
});
process.stdout.write(`e-bill service simulator listening on ${simulator.url}\n`);
const stop = async () => {
  await removeSimulatorState(root, process.pid);
  await simulator.close().catch(() => undefined);
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
