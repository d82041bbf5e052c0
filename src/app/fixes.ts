/**
 * Data fixes as the commands run them. Order matters: the file is read and its SQL checked by the
 * parser BEFORE any connection; apply and undo then follow the production rules of `apply` (change
 * windows and freezes, `--emergency` with its reason audited, a fix file not committed refused in
 * production) and run under the database's apply lock.
 */
import { actor } from "../base/actor.ts";
import { now } from "../base/time.ts";
import { loadFixFile, type FixFile } from "../config/fix-file.ts";
import { withClient } from "../db/connect.ts";
import { checkFix, FixRefused, type CheckedFix } from "../db/fix-check.ts";
import {
  appliedFix,
  applyFixRun,
  planFixRun,
  refusal,
  undoFixRun,
  type FixRun,
  type TouchedRow,
} from "../db/fix-run.ts";
import { schemaOf } from "../db/reference-schema.ts";
import { insertTaskAudit } from "../db/task-audit.ts";
import type { Db } from "../db/providers/types.ts";
import type { FixPlan } from "../output/fix.ts";
import { applyGate } from "../plan/windows.ts";
import type { StackContext } from "./context.ts";
import { gitRevision } from "./git.ts";
import { underLock } from "./task-session.ts";

export interface OpenedFix {
  fixFile: FixFile;
  checked: CheckedFix;
}

/** Reads the file and checks its SQL with the parser; throws naming the file. Connects nowhere. */
export async function openFix(ctx: Pick<StackContext, "env">, file: string): Promise<OpenedFix> {
  const fixFile = await loadFixFile(file, ctx.env.name);
  const checked = await checkFix(fixFile.file, fixFile.fix, schemaOf(ctx.env));
  return { fixFile, checked };
}

function planOf(
  opened: OpenedFix,
  ctx: StackContext,
): Pick<FixPlan, "file" | "stack" | "hash" | "ticket" | "reason"> {
  const { fixFile } = opened;
  return {
    file: fixFile.file,
    stack: ctx.env.name,
    hash: fixFile.hash,
    ticket: fixFile.fix.ticket,
    reason: fixFile.fix.reason,
  };
}

async function planOn(db: Db, ctx: StackContext, opened: OpenedFix): Promise<FixPlan> {
  const base = planOf(opened, ctx);
  const applied = await appliedFix(db, opened.fixFile.hash);
  if (applied && applied.undoneAt === null) return { ...base, state: "applied", applied };
  const run = await planFixRun(
    db,
    schemaOf(ctx.env),
    opened.checked,
    opened.fixFile.fix.expect.rows,
    opened.fixFile.file,
  );
  return { ...base, state: "pending", run, refusal: refusal(run) };
}

/** The fix's plan: run in a rolled-back transaction, or "applied already". */
export async function planFix(ctx: StackContext, file: string): Promise<FixPlan> {
  const opened = await openFix(ctx, file);
  return withClient(ctx.env, (db) => planOn(db, ctx, opened));
}

/** Refuses, changing nothing, what apply would refuse in production: outside windows, uncommitted. */
async function productionRules(
  ctx: StackContext,
  opened: OpenedFix,
  emergency: string | undefined,
): Promise<{ commit: string | null }> {
  const gate = applyGate(ctx.env, now(), emergency);
  if (!gate.allowed) throw new FixRefused(`${opened.fixFile.file}: ${gate.reason}`);
  if (gate.note) ctx.notice(gate.note);
  const revision = await gitRevision(opened.fixFile.file);
  if (ctx.env.kind === "production" && (revision.commit === null || revision.dirty) && !emergency?.trim())
    throw new FixRefused(
      `${opened.fixFile.file}: stack ${ctx.env.name} is production and the repository has uncommitted changes (or is no git checkout); ` +
        `a fix is applied from a reviewed commit. Merge it through a pull request, or, if it cannot wait, pass --emergency "<reason>". Nothing was changed.`,
    );
  return { commit: revision.commit };
}

export type ApplyOutcome =
  { state: "applied-already"; plan: FixPlan } | { state: "applied"; run: FixRun; auditId: number };

/** A saved `fix plan --json` of this fix (pending): what the reviewer saw. */
export async function readReviewedFixPlan(
  file: string,
  opened: OpenedFix,
): Promise<{ touched: TouchedRow[]; file: string }> {
  const { readFile } = await import("node:fs/promises");
  let plan: FixPlan;
  try {
    plan = JSON.parse(await readFile(file, "utf8")) as FixPlan;
  } catch (error) {
    throw new FixRefused(
      `${file}: not a saved fix plan (${(error as Error).message}); expected 'fix plan --json' output. Nothing was changed.`,
    );
  }
  if (plan.hash !== opened.fixFile.hash)
    throw new FixRefused(
      `${file} is the plan of another fix (or of another version of ${opened.fixFile.file}): its hash differs. Nothing was changed.`,
    );
  if (plan.state !== "pending" || !Array.isArray(plan.run?.touched))
    throw new FixRefused(
      `${file}: the reviewed plan shows no rows to change (${plan.state}). Nothing was changed.`,
    );
  return { touched: plan.run.touched, file };
}

export async function applyFix(
  ctx: StackContext,
  opened: OpenedFix,
  emergency: string | undefined,
  reviewed?: { touched: TouchedRow[]; file: string },
): Promise<ApplyOutcome> {
  const { commit } = await productionRules(ctx, opened, emergency);
  const { fixFile, checked } = opened;
  return underLock(ctx, async (db) => {
    const result = await applyFixRun(db, schemaOf(ctx.env), checked, fixFile.fix.expect.rows, {
      hash: fixFile.hash,
      stack: ctx.env.name,
      file: fixFile.file,
      actor: actor(),
      commit,
      ...(reviewed ? { reviewed } : {}),
      audit: (run) =>
        insertTaskAudit(db, {
          stack: ctx.env.name,
          task: "fix.apply",
          subject: fixFile.file,
          actor: actor(),
          commit,
          reason: `${fixFile.fix.ticket}: ${fixFile.fix.reason}`,
          detail: {
            hash: fixFile.hash,
            target: run.target,
            rows: run.rows,
            statement: fixFile.fix.statement,
          },
          ...(emergency?.trim() ? { emergency: emergency.trim() } : {}),
        }),
    });
    if (result) return { state: "applied", ...result };
    return { state: "applied-already", plan: await planOn(db, ctx, opened) };
  });
}

/** Restores the fix's before-images (refusing, naming them, when rows moved since). */
export async function undoFix(
  ctx: StackContext,
  opened: OpenedFix,
  reason: string,
  emergency: string | undefined,
): Promise<{ restored: number; auditId: number }> {
  const { commit } = await productionRules(ctx, opened, emergency);
  const { fixFile } = opened;
  return underLock(ctx, async (db) => {
    const applied = await appliedFix(db, fixFile.hash);
    if (!applied || applied.undoneAt !== null)
      throw new FixRefused(
        `${fixFile.file}: ${applied ? `was undone already on ${applied.undoneAt}` : `was never applied to stack ${ctx.env.name}`}; nothing to undo, nothing was changed.`,
      );
    return undoFixRun(db, schemaOf(ctx.env), applied, fixFile.file, (restored) =>
      insertTaskAudit(db, {
        stack: ctx.env.name,
        task: "fix.undo",
        subject: fixFile.file,
        actor: actor(),
        commit,
        reason,
        detail: { hash: fixFile.hash, target: applied.target, restored },
        ...(emergency?.trim() ? { emergency: emergency.trim() } : {}),
      }),
    );
  });
}
