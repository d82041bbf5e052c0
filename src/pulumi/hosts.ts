/**
 * The host side of the Pulumi program: one `@pulumi/command` local command per managed host
 * (host-parts.ts plans them), so `pulumi up` converges the hosts as well as the database. The
 * commands run where `pulumi up` runs, from the repository, like the pipelines do.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../base/paths.ts";
import type { Environment } from "../model/environment.ts";
import { ansibleTreeHash, hostParts } from "./host-parts.ts";

export interface EbillHostsArgs {
  stack: string;
  env: Environment;
}

export class EbillHosts extends pulumi.ComponentResource {
  readonly parts: command.local.Command[];

  constructor(name: string, args: EbillHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ebill-ops:index:Hosts", name, {}, opts);
    this.parts = hostParts(args.env, args.stack, ansibleTreeHash()).map(
      (part) =>
        new command.local.Command(
          part.name,
          { create: part.create, dir: REPO_ROOT, triggers: [part.trigger] },
          { parent: this },
        ),
    );
    this.registerOutputs({ hosts: this.parts.length });
  }
}
