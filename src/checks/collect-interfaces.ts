/**
 * The interfaces' facts: one probe per declared interface (HIS, fiscal platform, push) and of the
 * hospital-side e-bill service itself (a signed status call), all at once, through the one probe
 * module (src/probe/probe.ts): where a probe may go is decided there before anything is sent, and
 * only an answer that proves the service counts.
 */
import type { Environment } from "../model/environment.ts";
import { interfaceTargets, networkScope, probe } from "../probe/probe.ts";
import { serviceTargets } from "../probe/service-target.ts";
import type { InterfaceFacts } from "./facts.ts";
import type { Collected } from "./types.ts";

export async function collectInterfaces(
  env: Environment,
  options: { capMs: number },
): Promise<Collected<InterfaceFacts>> {
  try {
    const scope = networkScope(env);
    const targets = [...serviceTargets(env, options.capMs), ...interfaceTargets(env, options.capMs)];
    const probes = await Promise.all(targets.map((t) => probe(t, scope)));
    return { ok: true, value: { probes } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
