/**
 * The probe run inside a network namespace (see probeInNamespace in probe.ts): the target on stdin,
 * the observation as JSON on stdout. The route was decided by the parent; inside the namespace
 * only the test hosts' network exists.
 */
import { probeFromHere, type ProbeTarget } from "./probe.ts";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const target = JSON.parse(input) as ProbeTarget;
process.stdout.write(JSON.stringify(await probeFromHere(target)) + "\n");
