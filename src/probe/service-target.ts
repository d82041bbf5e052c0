/**
 * The hospital-side e-bill service as a probe target, and the signature server: the two the
 * stack does not give as URLs. The service is `http://<app host>:<app.port><contextPath>/api/medical`
 * (the first host with role "app"); a sandbox stack whose simulator runs (`sandbox up`) is probed
 * at the simulator on 127.0.0.1. Its proof is the signed status call with the stack's appid and
 * app key, so a wrong key shows as the "sign" layer.
 */
import { sandboxRoot } from "../base/paths.ts";
import { resolveSecret } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";
import { readSimulatorState } from "../simulator/state.ts";
import { STATUS_CALL, type Proof, type ProbeTarget } from "./probe.ts";

export const SERVICE_NAME = "e-bill service";
export const SIGNATURE_NAME = "signature server";

/** Where the stack's hospital-side service answers (the simulator's URL for a running sandbox). */
export function serviceUrl(env: Environment): { url: string; via: string } {
  if (env.kind === "sandbox") {
    const state = readSimulatorState(sandboxRoot());
    if (state) return { url: state.url, via: `the sandbox simulator (pid ${state.pid})` };
  }
  const app = env.hosts.find((h) => h.roles.includes("app"));
  const context = (env.app.contextPath ?? "/medical-web").replace(/\/+$/, "");
  const host = app?.address ?? "127.0.0.1";
  return {
    url: `http://${host}:${env.app.port ?? 8081}${context}/api/medical`,
    via: `app host ${app?.name ?? "?"}`,
  };
}

function signedProof(env: Environment): Proof {
  try {
    return {
      kind: "signed-call",
      appId: env.interfaces.fiscal.appId,
      appKey: resolveSecret(env.interfaces.fiscal.appKey),
      ...STATUS_CALL,
    };
  } catch (error) {
    return {
      kind: "unavailable",
      reason: `the signed status call needs the app key: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

export function serviceTarget(env: Environment, capMs: number): ProbeTarget {
  return {
    name: SERVICE_NAME,
    url: serviceUrl(env).url,
    timeoutMs: Math.min(30_000, capMs),
    proof: signedProof(env),
  };
}

/**
 * The service as the health checks probe it: always for a hospital's stack; for a sandbox only
 * while its simulator runs (without it, nothing on the sandbox answers the product's protocol yet).
 */
export function serviceTargets(env: Environment, capMs: number): ProbeTarget[] {
  if (env.kind === "sandbox" && !readSimulatorState(sandboxRoot())) return [];
  return [serviceTarget(env, capMs)];
}

/** The signature server appliance: its TLS port on the declared host (certificate and expiry). */
export function signatureTarget(env: Environment, capMs: number): ProbeTarget {
  const { host, port } = env.interfaces.signature;
  const address = env.hosts.find((h) => h.name === host)?.address ?? host;
  return {
    name: SIGNATURE_NAME,
    url: `https://${address}:${port}/`,
    timeoutMs: Math.min(10_000, capMs),
    proof: { kind: "tls-certificate" },
  };
}
