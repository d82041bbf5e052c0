/**
 * Pure planning of the Pulumi program: which resources a stack declares, their names, inputs and
 * order. No Pulumi and no database here, so it is table-tested (pulumi-awsx convention).
 *
 * One resource per declared database object, keyed exactly as the built-in runner keys it (the
 * providers' `declared(env)`), so `pulumi preview` and `ebill-ops plan` talk about the same things.
 */
import { DATABASE_KINDS, type DatabaseKind, type Environment } from "../model/environment.ts";
import { providerOf } from "../db/providers/index.ts";
import type { Fields } from "../plan/types.ts";

/**
 * The inputs of one database object resource. Connection details are NOT inputs: the provider
 * loads `stack` at run time and resolves the password there, so no secret (not even the host
 * and user) is ever in Pulumi's state.
 */
export interface ObjectInputs {
  /** The stack reference as given in Pulumi config (`lingshui-prod`) or a path to a stack file. */
  stack: string;
  kind: DatabaseKind;
  /** The object's id within its kind (`001`, `his/place/001`); `id` itself is reserved by Pulumi. */
  objectId: string;
  fields: Fields;
}

export interface ObjectSpec {
  /** Pulumi resource name, unique in the stack: `<kind>/<id>`. */
  name: string;
  kind: DatabaseKind;
  inputs: ObjectInputs;
  /** Kind whose resources this one waits for (the nearest earlier declared kind), or null. */
  after: DatabaseKind | null;
}

export const CONFIG_NAMESPACE = "ebill-ops";
export const STACK_CONFIG_KEY = "stack";
export const STACK_VARIABLE = "EBILL_OPS_STACK";
/** Module of the dynamic resource type tokens: `pulumi-nodejs:dynamic/ebill-ops:<kind>`. */
export const TYPE_MODULE = "ebill-ops";

/** The resource name and Pulumi ID of an object: `<kind>/<id>` (an id may itself hold '/', e.g. his/place/001). */
export function resourceName(kind: DatabaseKind, objectId: string): string {
  return `${kind}/${objectId}`;
}

export function typeToken(kind: DatabaseKind): string {
  return `pulumi-nodejs:dynamic/${TYPE_MODULE}:${kind}`;
}

/** Which stack to load: Pulumi config `ebill-ops:stack` first, then EBILL_OPS_STACK. */
export function stackReference(configValue: string | undefined, variable: string | undefined): string {
  const ref = configValue?.trim() || variable?.trim();
  if (!ref)
    throw new Error(
      `no ebill-ops stack chosen for this Pulumi stack: run 'pulumi config set ${CONFIG_NAMESPACE}:${STACK_CONFIG_KEY} <name>' ` +
        `(a name under stacks/, e.g. lingshui-prod) or export ${STACK_VARIABLE}=<name>`,
    );
  return ref;
}

/**
 * Every declared object of the stack, kinds in DATABASE_KINDS order (dependencies first). A kind
 * the stack leaves out has no resources, as the runner leaves it untouched.
 *
 * Each resource waits for the resources of the nearest earlier declared kind: creates then run in
 * the runner's order (tablespaces before partitions, bill types before the points that issue
 * them, roles before operators) and Pulumi deletes in the reverse order, as the runner does.
 */
export function declaredObjects(env: Environment, stack: string): ObjectSpec[] {
  const specs: ObjectSpec[] = [];
  let previous: DatabaseKind | null = null;
  for (const kind of DATABASE_KINDS) {
    const declared = providerOf(kind).declared(env);
    if (!declared) continue;
    for (const object of declared)
      specs.push({
        name: resourceName(kind, object.id),
        kind,
        inputs: { stack, kind, objectId: object.id, fields: object.fields },
        after: previous,
      });
    if (declared.length > 0) previous = kind;
  }
  return specs;
}
