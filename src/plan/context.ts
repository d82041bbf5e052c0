/**
 * What plan, apply, drift and history share: the loaded stack, the secrets to scrub from
 * everything printed, where output goes, and who/what an apply is recorded as.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import * as z from "zod";
import { loadValidStack } from "../config/load.ts";
import { formatIssue, formatPath } from "../config/issues.ts";
import { requireStackSecrets } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";
import { COLOR, type Paint, PLAIN, useColor } from "../output/format.ts";
import { redactDeep, redactText, secretValues } from "../output/redact.ts";
import { now } from "../time.ts";
import { type Plan, PLAN_VERSION, type Revision } from "./types.ts";
import { type AuditRecord, applyPlan } from "./planner.ts";
import { AUDIT, SOURCES } from "./sources.ts";

export interface StackContext {
  /** The stack file as given to the user (relative to the working directory when inside it). */
  file: string;
  env: Environment;
  secrets: Map<string, string>;
  paint: Paint;
  /** Writes to stdout, secrets scrubbed. */
  out(text: string): void;
  /** Notices and progress to stderr, secrets scrubbed, so `--json` stdout stays parseable. */
  notice(text: string): void;
  redact<T>(value: T): T;
}

export async function openStack(ref: string): Promise<StackContext> {
  const { file, env, warnings } = await loadValidStack(ref, { today: now() });
  // Every secret the stack references must resolve, also those only the hosts use (issue 11.8).
  requireStackSecrets(env);
  const secrets = secretValues(env);
  const scrub = (text: string) => redactText(text, secrets);
  for (const w of warnings) process.stderr.write(scrub(formatIssue(w)) + "\n");
  return {
    file,
    env,
    secrets,
    paint: useColor(process.stdout) ? COLOR : PLAIN,
    out: (text) => process.stdout.write(scrub(text)),
    notice: (text) => process.stderr.write(scrub(text.endsWith("\n") ? text : text + "\n")),
    redact: (value) => redactDeep(value, secrets),
  };
}

function git(cwd: string, args: string[]): Buffer {
  return execFileSync("git", args, {
    cwd,
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/**
 * The declaration's revision: HEAD of the repository holding the stack, and whether the working
 * tree differs from it. Dirty means: a tracked file anywhere in the repository changed (the stack
 * imports shared parts, and the tool itself lives there), or a new untracked file lies beside the
 * stack (a year file not committed yet). Untracked files elsewhere (plan files, CI downloads) do
 * not count. The diff hash covers the diff of tracked files and the new files' names and contents,
 * so two plans from the same uncommitted edit carry the same hash.
 */
export function gitRevision(stackFile: string): Revision {
  const dir = path.dirname(path.resolve(stackFile));
  let commit: string;
  try {
    commit = git(dir, ["rev-parse", "HEAD"]).toString("utf8").trim();
  } catch {
    return { commit: null, dirty: false };
  }
  const hash = createHash("sha256");
  const diff = git(dir, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--", ":/"]);
  hash.update(diff);
  const untracked = git(dir, ["ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", "."])
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .sort();
  const top = git(dir, ["rev-parse", "--show-toplevel"]).toString("utf8").trim();
  for (const file of untracked) {
    hash.update(`\0new file ${file}\0`);
    try {
      hash.update(readFileSync(path.join(top, file)));
    } catch {
      // Gone or unreadable between listing and reading: its name still counts.
    }
  }
  if (diff.length === 0 && untracked.length === 0) return { commit, dirty: false };
  return { commit, dirty: true, diffHash: hash.digest("hex") };
}

/** Who applies: set EBILL_OPS_ACTOR in pipelines; GitHub Actions sets GITHUB_ACTOR. */
export function actor(): string {
  const named = process.env.EBILL_OPS_ACTOR || process.env.GITHUB_ACTOR;
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

const SavedPlan = z.object({
  version: z.literal(PLAN_VERSION),
  stack: z.string(),
  liveHash: z.string(),
  sourceHashes: z.record(z.string(), z.string()),
  changes: z.array(
    z.object({
      kind: z.string(),
      id: z.string(),
      action: z.enum(["create", "update", "delete", "replace"]),
      destructive: z.boolean(),
      before: z.record(z.string(), z.unknown()).nullable(),
      after: z.record(z.string(), z.unknown()).nullable(),
      note: z.string().optional(),
      source: z.string().optional(),
      bills: z.number().optional(),
    }),
  ),
  summary: z.object({ create: z.number(), update: z.number(), delete: z.number(), replace: z.number() }),
  skipped: z.array(z.object({ source: z.string(), reason: z.string() })).optional(),
  revision: z
    .object({ commit: z.string().nullable(), dirty: z.boolean(), diffHash: z.string().optional() })
    .optional(),
});

/** A plan saved by `plan --out`, checked for shape so a truncated or hand-edited file is refused clearly. */
export async function readSavedPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the plan ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; make one with 'ebill-ops plan --stack S --out ${file}'. Nothing was changed.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${file} is not JSON (${(error as Error).message}); was it saved by 'ebill-ops plan --out'? Nothing was changed.`,
    );
  }
  const parsed = SavedPlan.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${file}: ${formatPath(issue.path) || "(top level)"}: ${issue.message}; this is not a plan saved by 'ebill-ops plan --out' (version ${PLAN_VERSION}). Nothing was changed.`,
    );
  }
  const plan = parsed.data as Plan;
  const untagged = plan.changes.findIndex((c) => c.source === undefined);
  if (untagged >= 0)
    throw new Error(
      `${file}: changes[${untagged}].source is missing; the plan must come from 'ebill-ops plan --out'. Nothing was changed.`,
    );
  return plan;
}

/** Runs a command body so that an error leaving it is scrubbed of secrets like everything else. */
export async function scrubbed<T>(ctx: Pick<StackContext, "secrets">, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error) error.message = redactText(error.message, ctx.secrets);
    throw error;
  }
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Applies a shown plan through every source, with progress lines and the audit (apply and rollback). */
export function applyShownPlan(
  ctx: StackContext,
  plan: Plan,
  options: {
    allowDestroy?: boolean;
    emergency?: string;
    revision: Revision;
    /** `apply --plan F`: the reviewed plan `plan` must equal. */
    reviewed?: { plan: Plan; file: string };
  },
): Promise<AuditRecord> {
  const at = new Date(); // the real time: the audit's own clock, never rehearsed
  const gateAt = now();
  return applyPlan(ctx.env, plan, SOURCES, {
    allowDestroy: Boolean(options.allowDestroy),
    emergency: options.emergency,
    progress: (line) => ctx.out(line + "\n"),
    commit: options.revision.commit,
    revision: options.revision,
    actor: actor(),
    at,
    gateAt,
    ...(rehearsing() ? { rehearsedAt: gateAt } : {}),
    reviewed: options.reviewed,
    writeAudit: AUDIT.write,
    redact: ctx.redact,
  });
}

/** Is "now" rehearsed (EBILL_OPS_TODAY set)? Then the audit keeps the rehearsed time beside the real one. */
export function rehearsing(): boolean {
  return Boolean(process.env.EBILL_OPS_TODAY);
}
