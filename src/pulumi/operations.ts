/**
 * What the dynamic provider does, loaded at run time inside Pulumi's provider process (see
 * provider.ts for why it is loaded and not captured). Every operation delegates to the runner's
 * code in src/db/: the providers' `read`, the planner's `changeOf` / `removalOf` and the apply
 * (`applyDatabase`: advisory lock, one transaction, the never-do checks). Nothing here writes SQL.
 *
 * Connection details come from the stack loaded here at run time (the password is resolved from
 * the environment or .secrets.env by `connect`); resource inputs and outputs carry only the stack
 * reference.
 *
 * Like `ebill-ops apply`, a write to a production stack outside its change windows or inside a
 * freeze is refused unless EBILL_OPS_EMERGENCY gives a reason, and every write is audited in
 * ebill_ops.apply_audit (actor, commit, the change, the result).
 */

import { canonicalJson, sha256 } from "../base/canonical.ts";
import { loadValidStack } from "../config/load.ts";
import { writeAudit } from "../db/audit.ts";
import { connect } from "../db/connect.ts";
import { changeOf, removalOf } from "../db/diff.ts";
import { schemaExists } from "../db/live.ts";
import { providerOf } from "../db/providers/index.ts";
import type { LiveObject, Usage } from "../db/providers/types.ts";
import { readSnapshot, applyDatabase } from "../db/source.ts";
import { schemaOf } from "../db/reference-schema.ts";
import type { DatabaseKind, Environment } from "../model/environment.ts";
import type { AuditHook, AuditRecord, Change, Fields } from "../plan/types.ts";
import { applyGate } from "../plan/windows.ts";
import { now } from "../base/time.ts";
import { resourceName, type ObjectInputs } from "./objects.ts";
import { gitRevision } from "../app/git.ts";
import { rehearsing } from "../app/apply.ts";
import { actor } from "../base/actor.ts";

/** The reason for a change outside the windows (the runner's --emergency); audited. */
export const EMERGENCY_VARIABLE = "EBILL_OPS_EMERGENCY";

/** What Pulumi keeps in its state for an object: the inputs and what uses the row live. */
export interface ObjectOutputs extends ObjectInputs {
  usage: Usage;
}

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

// Pulumi runs resource operations in parallel; the runner's apply takes the stack's advisory lock
// WITHOUT waiting (a second writer must fail loudly). Operations of this process therefore go one
// at a time, so they never trip over each other's lock, while another writer still fails fast.
let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

interface Stack {
  file: string;
  env: Environment;
}

const stacks = new Map<string, Promise<Stack>>();
function stackOf(ref: string): Promise<Stack> {
  let stack = stacks.get(ref);
  if (!stack) {
    stack = loadValidStack(ref, { today: now() });
    stack.catch(() => stacks.delete(ref));
    stacks.set(ref, stack);
  }
  return stack;
}

/** Only the keys we own: Pulumi adds `__provider` to what it hands back. */
function inputsOf(props: ObjectInputs): ObjectInputs {
  return { stack: props.stack, kind: props.kind, objectId: props.objectId, fields: props.fields };
}

function outputsOf(inputs: ObjectInputs, live: LiveObject): ObjectOutputs {
  return { ...inputsOf(inputs), fields: live.fields, usage: live.usage };
}

async function withDatabase<T>(
  stack: string,
  fn: (db: Awaited<ReturnType<typeof connect>>, env: Environment, file: string) => Promise<T>,
): Promise<T> {
  const { env, file } = await stackOf(stack);
  const db = await connect(env);
  try {
    const schema = schemaOf(env);
    if (!(await schemaExists(db, schema)))
      throw new Error(
        `the database of stack ${env.name} has no e-bill schema '${schema}': check database.schema in the stack`,
      );
    return await fn(db, env, file);
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function readOne(
  db: Parameters<typeof readSnapshot>[0],
  env: Environment,
  kind: DatabaseKind,
  objectId: string,
): Promise<LiveObject | undefined> {
  const objects = await providerOf(kind).read(db, { env, schema: schemaOf(env) });
  return objects.find((o) => o.id === objectId);
}

/**
 * Applies one object's change with the runner's apply. A Pulumi delete or replace has been
 * previewed and confirmed, which is what --allow-destroy says to the runner; what is never done
 * (dropping data, deleting a row issued bills use, cutting a used stock range) is still refused
 * inside the apply transaction, whatever Pulumi asked.
 */
async function converge(
  inputs: ObjectInputs,
  change: (env: Environment, live: Awaited<ReturnType<typeof readSnapshot>>) => Change | null,
): Promise<LiveObject | undefined> {
  // Pulumi calls create / update / delete only to change something: the change windows are checked
  // before the database is touched, as `ebill-ops apply` does.
  const { env } = await stackOf(inputs.stack);
  const at = now();
  const emergency = process.env[EMERGENCY_VARIABLE]?.trim() || undefined;
  const gate = applyGate(env, at, emergency);
  if (!gate.allowed)
    throw new Error(
      gate.reason.replace('pass --emergency "<reason>"', `set ${EMERGENCY_VARIABLE}="<reason>"`),
    );
  return withDatabase(inputs.stack, async (db, env, file) => {
    const planned = change(env, await readSnapshot(db, env));
    if (planned)
      await auditedApply(db, env, planned, { at, file, emergency, outsideWindows: Boolean(gate.note) });
    return readOne(db, env, inputs.kind, inputs.objectId);
  });
}

/**
 * The runner's apply of one change, audited like `ebill-ops apply`: the audit row commits in the
 * apply's own transaction, and a refusal or failure is recorded afterwards.
 */
async function auditedApply(
  db: Parameters<typeof applyDatabase>[0],
  env: Environment,
  change: Change,
  context: { at: Date; file: string; emergency: string | undefined; outsideWindows: boolean },
): Promise<void> {
  const revision = await gitRevision(context.file);
  const record: AuditRecord = {
    stack: env.name,
    commit: revision.commit,
    actor: actor(),
    at: new Date().toISOString(), // the real time, whatever EBILL_OPS_TODAY rehearses
    planHash: sha256(canonicalJson([change])),
    changes: [change],
    result: "ok",
  };
  if (rehearsing()) record.rehearsedAt = context.at.toISOString();
  if (revision.dirty) {
    record.dirty = true;
    if (revision.diffHash) record.diffHash = revision.diffHash;
  }
  // The reason is recorded when it let something through: the windows, or a dirty working tree.
  if (context.emergency && (context.outsideWindows || revision.dirty)) record.emergency = context.emergency;
  const hook: AuditHook = { record, final: true };
  try {
    if (env.kind === "production" && revision.dirty && !context.emergency)
      throw new Error(
        `the working tree holding stack ${env.name} has uncommitted changes: a production stack is applied from a commit. ` +
          `Commit the change, or set ${EMERGENCY_VARIABLE}="<reason>" (audited with the diff's hash)`,
      );
    await applyDatabase(db, env, [change], { allowDestroy: true, audit: hook });
  } catch (error) {
    record.result = "failed";
    record.error = error instanceof Error ? error.message : String(error);
    await writeAudit(env, record, hook.id).catch((auditError: unknown) => {
      // The change itself was refused or rolled back; say so rather than hide the missing record.
      console.error(
        `warning: the audit record of pulumi ${change.action} ${change.kind} ${change.id} could not be written: ${auditError instanceof Error ? auditError.message : String(auditError)}`,
      );
    });
    throw error;
  }
}

function declared(inputs: ObjectInputs) {
  return (_env: Environment, live: Awaited<ReturnType<typeof readSnapshot>>) =>
    changeOf(
      inputs.kind,
      { id: inputs.objectId, fields: inputs.fields },
      live[inputs.kind].find((o) => o.id === inputs.objectId),
    );
}

function missingAfterWrite(inputs: ObjectInputs): Error {
  return new Error(`${inputs.kind} ${inputs.objectId} is not in the database after writing it`);
}

export function create(props: ObjectInputs): Promise<{ id: string; outs: ObjectOutputs }> {
  const inputs = inputsOf(props);
  return oneAtATime(async () => {
    // An object that already exists (a hospital's database before its first `pulumi up`) is
    // adopted: brought to the declared fields, exactly as the runner would update it.
    const live = await converge(inputs, declared(inputs));
    if (!live) throw missingAfterWrite(inputs);
    return { id: resourceName(inputs.kind, inputs.objectId), outs: outputsOf(inputs, live) };
  });
}

export function update(
  _id: string,
  _olds: ObjectOutputs,
  news: ObjectInputs,
): Promise<{ outs: ObjectOutputs }> {
  const inputs = inputsOf(news);
  return oneAtATime(async () => {
    const live = await converge(inputs, declared(inputs));
    if (!live) throw missingAfterWrite(inputs);
    return { outs: outputsOf(inputs, live) };
  });
}

/** Removes the object as the runner removes what a stack stops declaring: disabled when in use. */
export function remove(_id: string, props: ObjectOutputs): Promise<void> {
  const inputs = inputsOf(props);
  return oneAtATime(async () => {
    await converge(inputs, (env, live) => removalOf(env, live, inputs.kind, inputs.objectId));
  });
}

/** The live row, as it is now (what makes `pulumi refresh` honest); empty when it is gone. */
export function read(
  id: string,
  props: ObjectOutputs | undefined,
): Promise<{ id?: string; props?: ObjectOutputs; inputs?: ObjectInputs }> {
  if (!props?.stack || !props.kind || props.objectId === undefined)
    throw new Error(
      `cannot read ${id}: the resource has no stack/kind/objectId (pulumi import is not supported; declare the object in the stack instead)`,
    );
  const inputs = inputsOf(props);
  return oneAtATime(async () => {
    const live = await withDatabase(inputs.stack, (db, env) =>
      readOne(db, env, inputs.kind, inputs.objectId),
    );
    if (!live) return {};
    const outs = outputsOf(inputs, live);
    return { id, props: outs, inputs: inputsOf(outs) };
  });
}

/**
 * Pulumi's diff: the state Pulumi holds (after a refresh: the live row) against the declared
 * inputs, with the planner's own comparison. A tablespace that moves is a replace (dropped, then
 * created at the new place, same name: delete first); the rest is an update in place.
 */
export function diff(olds: ObjectOutputs, news: ObjectInputs): DiffResult {
  if (olds.kind !== news.kind || olds.objectId !== news.objectId)
    return { changes: true, replaces: olds.kind !== news.kind ? ["kind"] : ["objectId"] };
  const change = changeOf(
    news.kind,
    { id: news.objectId, fields: news.fields },
    { id: olds.objectId, fields: olds.fields as Fields, usage: olds.usage ?? {} },
  );
  // A different stack reference (a file renamed or given as a path) is an update, never a
  // replace: a replace would create in one and delete in the other, possibly the same database.
  if (!change) return { changes: olds.stack !== news.stack };
  if (change.action === "replace") return { changes: true, replaces: ["fields"], deleteBeforeReplace: true };
  return { changes: true };
}
