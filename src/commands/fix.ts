import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { applyFix, openFix, planFix, readReviewedFixPlan, undoFix } from "../app/fixes.ts";
import { confirm } from "../app/prompt.ts";
import { requireReason } from "../app/task-session.ts";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadFixFile } from "../config/fix-file.ts";
import { renderFixMarkdown, renderFixRefusedMarkdown, renderFixText } from "../output/fix.ts";

const STACK = ["--stack <stack>", "stack name under stacks/ or path to a stack file"] as const;
const EMERGENCY = [
  "--emergency <reason>",
  "production only: change outside its change windows, inside a freeze, or from uncommitted files; the reason is audited",
] as const;

/** fix plan: the rows before and after, from a transaction that is rolled back. */
function registerPlan(fix: Command, setExit: (code: number) => void): void {
  fix
    .command("plan")
    .description("run the fix in a transaction that is rolled back and show the rows before and after")
    .requiredOption(...STACK)
    .argument("<file>", "the fix file")
    .option("--markdown", "markdown for a pull-request comment")
    .option("--json", "the plan as JSON")
    .option("--out <file>", "also save the plan as JSON (what 'fix apply --reviewed' compares with)")
    .addHelpText(
      "after",
      "\nExit status: 0 applied already, 2 would change rows, 1 error or apply would refuse (row count, verification).",
    )
    .action(
      async (file: string, options: { stack: string; markdown?: boolean; json?: boolean; out?: string }) => {
        const ctx = await openStack(options.stack);
        await scrubbed(ctx, async () => {
          let plan;
          try {
            plan = ctx.redact(await planFix(ctx, file));
          } catch (error) {
            // The pull request shows a refused fix like a planned one, then the job fails on exit 1.
            if (!options.markdown || !(error instanceof Error)) throw error;
            ctx.out(renderFixRefusedMarkdown(file, ctx.redact(error.message)));
            setExit(1);
            return;
          }
          if (options.out) {
            await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
            await writeFile(options.out, JSON.stringify(plan, null, 2) + "\n");
          }
          if (options.json) ctx.out(JSON.stringify(plan, null, 2) + "\n");
          else if (options.markdown) ctx.out(renderFixMarkdown(plan));
          else ctx.out(renderFixText(plan, ctx.paint));
          setExit(plan.state === "applied" ? 0 : plan.refusal ? 1 : 2);
        });
      },
    );
}

/** fix export: fix files as plain JSON for the pull-request pipeline. */
function registerExport(fix: Command, setExit: (code: number) => void): void {
  fix
    .command("export")
    .description(
      "read fix files (a .ts one in the contained evaluator) and write each as plain JSON to DIR/<stack>/<name>.json, for the pull-request pipeline",
    )
    .requiredOption("--out-dir <dir>", "where the JSON goes")
    .argument("<files...>", "fix files, fixes/<stack>/<YYYY-MM-DD>-<slug>.ts|yaml")
    .addHelpText(
      "after",
      "\nExit status: 0 all exported, 1 some could not be read (each is written as <name>.refused.md instead).",
    )
    .action(async (files: string[], options: { outDir: string }) => {
      let failed = false;
      for (const file of files) {
        const stack = path.basename(path.dirname(path.resolve(file)));
        const name = path.basename(file).replace(/\.[^.]+$/, "");
        await mkdir(path.join(options.outDir, stack), { recursive: true });
        try {
          const { fix } = await loadFixFile(file, stack);
          await writeFile(
            path.join(options.outDir, stack, `${name}.json`),
            JSON.stringify(fix, null, 2) + "\n",
          );
        } catch (error) {
          failed = true;
          const message = error instanceof Error ? error.message : String(error);
          process.stderr.write(message + "\n");
          await writeFile(
            path.join(options.outDir, stack, `${name}.refused.md`),
            renderFixRefusedMarkdown(file, message),
          );
        }
      }
      setExit(failed ? 1 : 0);
    });
}

/** fix apply: one transaction under the apply lock, exact row count, before-images kept. */
function registerApply(fix: Command, setExit: (code: number) => void): void {
  fix
    .command("apply")
    .description(
      "apply the fix in ONE transaction under the apply lock: exactly expect.rows rows, verify empty, before-images kept, applied once, audited",
    )
    .requiredOption(...STACK)
    .argument("<file>", "the fix file")
    .option("--yes", "do not show the plan and ask (needed without a terminal, e.g. in CI)")
    .option(
      "--reviewed <plan>",
      "the reviewed 'fix plan --json': applied only if the fix changes exactly those rows, with the same values",
    )
    .option(...EMERGENCY)
    .addHelpText(
      "after",
      "\nExit status: 0 applied (or applied already), 1 error or refused (nothing changed).",
    )
    .action(
      async (
        file: string,
        options: { stack: string; yes?: boolean; emergency?: string; reviewed?: string },
      ) => {
        const ctx = await openStack(options.stack);
        await scrubbed(ctx, async () => {
          const opened = await openFix(ctx, file);
          const reviewed = options.reviewed ? await readReviewedFixPlan(options.reviewed, opened) : undefined;
          if (!options.yes) {
            if (!process.stdin.isTTY)
              throw new Error(
                "fix apply changes the stack's data and asks for confirmation, but there is no terminal to ask on; review 'ebill-ops fix plan' and pass --yes. Nothing was changed.",
              );
            const plan = await planFix(ctx, file);
            ctx.out(renderFixText(plan, ctx.paint));
            if (plan.state === "applied" || plan.refusal) {
              setExit(plan.state === "applied" ? 0 : 1);
              return;
            }
            if (!(await confirm(`Apply this fix to stack ${ctx.env.name}? [y/N] `))) {
              ctx.out("Cancelled; nothing was changed.\n");
              setExit(1);
              return;
            }
          }
          const outcome = await applyFix(ctx, opened, options.emergency, reviewed);
          ctx.out(
            outcome.state === "applied"
              ? `Applied ${opened.fixFile.file} to stack ${ctx.env.name}: ${outcome.run.rows} row(s) of ${outcome.run.target} changed, before-images kept (audit #${outcome.auditId}).\n`
              : `${opened.fixFile.file} is applied already on stack ${ctx.env.name}; nothing was changed.\n`,
          );
          setExit(0);
        });
      },
    );
}

/** fix undo: the before-images back, only where the rows still hold what the fix wrote. */
function registerUndo(fix: Command, setExit: (code: number) => void): void {
  fix
    .command("undo")
    .description(
      "restore the rows the fix changed from their before-images, if they still hold what the fix wrote",
    )
    .requiredOption(...STACK)
    .argument("<file>", "the fix file that was applied")
    .requiredOption("--reason <text>", "why it is undone; kept in the audit")
    .option(...EMERGENCY)
    .addHelpText(
      "after",
      "\nExit status: 0 restored, 1 error or refused (rows changed since, never applied; nothing changed).",
    )
    .action(async (file: string, options: { stack: string; reason: string; emergency?: string }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const reason = requireReason(options.reason);
        const opened = await openFix(ctx, file);
        const { restored, auditId } = await undoFix(ctx, opened, reason, options.emergency);
        ctx.out(
          `Undid ${opened.fixFile.file} on stack ${ctx.env.name}: ${restored} row(s) restored from their before-images (audit #${auditId}).\n`,
        );
        setExit(0);
      });
    });
}

export function register(program: Command, setExit: (code: number) => void): void {
  const fix = program
    .command("fix")
    .description(
      "reviewed data fixes (数据调整): fixes/<stack>/<YYYY-MM-DD>-<slug>.ts|yaml, one checked DML statement with its expected row count",
    );
  registerPlan(fix, setExit);
  registerExport(fix, setExit);
  registerApply(fix, setExit);
  registerUndo(fix, setExit);
}
