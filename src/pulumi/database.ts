/**
 * The Pulumi resources: one dynamic resource per declared database object, grouped under one
 * component per stack. The component only wires what objects.ts planned (pulumi-awsx convention).
 */
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseKind, Environment } from "../model/environment.ts";
import { declaredObjects, TYPE_MODULE, type ObjectInputs } from "./objects.ts";
import { databaseObjectProvider } from "./provider.ts";

/** One provider object for every resource: Pulumi serialises it once (its cache is per object). */
const provider = databaseObjectProvider();

export class DatabaseObject extends pulumi.dynamic.Resource {
  declare readonly kind: pulumi.Output<DatabaseKind>;
  declare readonly objectId: pulumi.Output<string>;
  declare readonly fields: pulumi.Output<Record<string, unknown>>;
  declare readonly usage: pulumi.Output<Record<string, unknown>>;

  constructor(name: string, inputs: ObjectInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...inputs, usage: undefined }, opts, TYPE_MODULE, inputs.kind);
  }
}

export interface EbillDatabaseArgs {
  /** The stack reference the provider loads at run time (config `ebill-ops:stack`). */
  stack: string;
  env: Environment;
}

export class EbillDatabase extends pulumi.ComponentResource {
  readonly objects: DatabaseObject[];

  constructor(name: string, args: EbillDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ebill-ops:index:Database", name, {}, opts);
    const byKind = new Map<DatabaseKind, DatabaseObject[]>();
    this.objects = declaredObjects(args.env, args.stack).map((spec) => {
      const dependsOn = spec.after ? (byKind.get(spec.after) ?? []) : [];
      const object = new DatabaseObject(spec.name, spec.inputs, { parent: this, dependsOn });
      byKind.set(spec.kind, [...(byKind.get(spec.kind) ?? []), object]);
      return object;
    });
    this.registerOutputs({ objects: this.objects.length });
  }
}
