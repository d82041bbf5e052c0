/**
 * The Pulumi program (Pulumi.yaml `main: src/pulumi/`): the database objects of one ebill-ops
 * stack as Pulumi resources, backed by the same providers as `ebill-ops plan/apply`, and its
 * hosts as one @pulumi/command resource each running the same Ansible (hosts.ts).
 *
 *   pulumi config set ebill-ops:stack lingshui-prod    # or EBILL_OPS_STACK=lingshui-prod
 *   pulumi preview --refresh
 */
import * as pulumi from "@pulumi/pulumi";
import { loadValidStack } from "../config/load.ts";
import { EbillDatabase } from "./database.ts";
import { EbillHosts } from "./hosts.ts";
import { CONFIG_NAMESPACE, STACK_CONFIG_KEY, STACK_VARIABLE, stackReference } from "./objects.ts";

const stack = stackReference(
  new pulumi.Config(CONFIG_NAMESPACE).get(STACK_CONFIG_KEY),
  process.env[STACK_VARIABLE],
);
const { env } = await loadValidStack(stack);

export const database = new EbillDatabase(env.name, { stack, env });
/** Stack output: how many database objects the stack declares. */
export const objects = database.objects.length;
/** The hosts, converged by the same Ansible as `ebill-ops apply`, one command per host. */
export const hosts = new EbillHosts(env.name, { stack, env });
