import type { Command } from "commander";
import { writeGeneratedFiles } from "../app/generated.ts";

export function register(program: Command): void {
  program
    .command("generate")
    .description(
      "regenerate committed files: schemas/environment.schema.json and inventory/<stack>/ for every stack",
    )
    .action(async () => {
      for (const file of await writeGeneratedFiles()) process.stdout.write(`wrote ${file}\n`);
    });
}
