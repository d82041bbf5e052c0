// Prints what `generate` would write and what `gitops stacks` lists, as JSON: run in a child
// process by test/calendar/calendar.test.ts with EBILL_OPS_TODAY set, because a .ts stack is
// evaluated once per process (the sandbox reads the clock when it is loaded).
import { renderGeneratedFiles } from "../../src/app/generated.ts";
import { listStacks } from "../../src/gitops/stacks.ts";

const files = Object.fromEntries(await renderGeneratedFiles());
const stacks = await listStacks();
process.stdout.write(JSON.stringify({ files, stacks }) + "\n");
