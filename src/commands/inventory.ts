import type { Command } from "commander";
import { loadValidStack } from "../config/load.ts";
import { inventoryFiles, writeFiles } from "../app/generated.ts";
import { now } from "../base/time.ts";

export function register(program: Command): void {
  program
    .command("inventory")
    .description(
      "render the Ansible inventory of a stack into inventory/<stack>/ (hosts by role, pinned host keys)",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .action(async (options: { stack: string }) => {
      const { env } = await loadValidStack(options.stack, { today: now() });
      for (const file of await writeFiles(Object.entries(await inventoryFiles(env))))
        process.stdout.write(`wrote ${file}\n`);
    });
}
