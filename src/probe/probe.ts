/**
 * Probes: read-only observations of the services a stack talks to (and of the disk under a
 * tablespace). The one probe module: the year-end check uses it today, the health checks and the
 * protocol simulator's tests are meant to, so "the service answered" means one thing everywhere.
 *
 * Two rules, both enforced here, where the packet would be sent:
 * - WHERE a probe may go is decided before anything is sent (`routeFor`). A sandbox stack reaches
 *   only this machine: 127.0.0.1 (::1) from this process, and the namespace hosts this tool made,
 *   from inside their network namespace (which has no route off the machine). Anything else is
 *   "not probed", with the reason; its hosts not being up is said as such. So a sandbox probe
 *   can never leave through the default gateway and be answered by whatever sits there.
 * - WHAT counts is an answer only that service gives (`Proof`): a response signed with the app
 *   key (the product protocol, src/protocol/envelope.ts) or a TLS certificate this machine trusts
 *   for the host name. Any other answer (a 404 from a proxy, another service on the port) is
 *   "not verified", never ok.
 */
import { existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { resolveSecret } from "../config/secrets.ts";
import { hostsStateFile, readNamespaceHosts } from "../hosts/connection.ts";
import type { Environment } from "../model/environment.ts";
import { signedCall, SUCCESS, verifyAnswer } from "../protocol/envelope.ts";
import { run } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

// ---------------------------------------------------------------------------------------------
// What a probe asks and what it found

/** What would prove the target is the service itself. */
export type Proof =
  /** One signed, read-only call; a correctly signed answer is the proof (any result code). */
  | { kind: "signed-call"; appId: string; appKey: string; method: string; data: unknown }
  /** An https URL: a certificate this machine's trust store accepts for the host name. */
  | { kind: "tls-certificate" }
  /** Nothing this target could show (plain HTTP, no key): at best "not verified". */
  | { kind: "none" }
  /** A proof was due but cannot be made here (e.g. the app key's secret is not set): not sent. */
  | { kind: "unavailable"; reason: string };

export interface ProbeTarget {
  /** Shown in reports: "fiscal platform", "HIS", … */
  name: string;
  url: string;
  timeoutMs: number;
  proof: Proof;
}

/**
 * - verified: the service itself answered (signed answer, trusted certificate);
 * - failing: it proved itself but reports a server error (HTTP 5xx behind a trusted certificate);
 * - not-verified: something answered, but nothing in the answer proves it is the service;
 * - unreachable: nothing answered (refused, timeout, no route, name not found);
 * - not-probed: nothing was sent (the network rule, hosts not up, a proof that cannot be made).
 */
export type ProbeVerdict = "verified" | "failing" | "not-verified" | "unreachable" | "not-probed";

/** Where the verdict was decided, outermost first: the failing layer of an incident. */
export type ProbeLayer = "policy" | "dns" | "tcp" | "tls" | "http" | "sign" | "business";

export interface ProbeResult {
  name: string;
  /** The URL as shown in reports: credentials (if a URL ever carries them) left out. */
  url: string;
  verdict: ProbeVerdict;
  layer: ProbeLayer;
  /** How it travelled: from this process, inside a network namespace, or not at all. */
  via: string;
  /** Whether the target was asked to prove itself (signed call or certificate). */
  proofAsked: boolean;
  /** HTTP status, when an HTTP answer came. */
  status?: number;
  /** Business result code of a signed answer (S0000 = success). */
  result?: string;
  ms: number;
  /** What was seen or why nothing was sent, in a sentence; never a secret. */
  evidence: string;
  /** The decoded message of a signed answer (an upgrade's health check reads the version in it). */
  message?: unknown;
  /** When the TLS certificate the answer came with expires (https only), as Node prints it. */
  certificateValidTo?: string;
}

/**
 * The status call a probe makes: read-only, about a bill no hospital has (number 0000000000), so a
 * real service answers it with its signed "not found" and nothing changes. A protocol simulator
 * answers it like any query.
 */
export const STATUS_CALL = {
  method: "getEBillStatesByBillInfo",
  data: { billBatchCode: "00000000", billNo: "0000000000", random: "000000" },
} as const;

/**
 * The interfaces a stack declares, each with the proof it can give: the fiscal platform endpoint
 * a signed status call with the stack's appid and app key; HIS and push their TLS certificate
 * when their URL is https, nothing otherwise (plain HTTP proves nobody).
 */
export function interfaceTargets(env: Environment, capMs: number): ProbeTarget[] {
  const { fiscal, his, push } = env.interfaces;
  const byScheme = (url: string): Proof =>
    url.startsWith("https:") ? { kind: "tls-certificate" } : { kind: "none" };
  let fiscalProof: Proof;
  try {
    fiscalProof = {
      kind: "signed-call",
      appId: fiscal.appId,
      appKey: resolveSecret(fiscal.appKey),
      ...STATUS_CALL,
    };
  } catch (error) {
    fiscalProof = {
      kind: "unavailable",
      reason: `the signed status call needs the app key: ${message(error)}`,
    };
  }
  return [
    {
      name: "fiscal platform",
      url: fiscal.url,
      timeoutMs: Math.min(fiscal.timeoutMs, capMs),
      proof: fiscalProof,
    },
    { name: "HIS", url: his.url, timeoutMs: Math.min(his.timeoutMs, capMs), proof: byScheme(his.url) },
    ...(push
      ? [
          {
            name: "push",
            url: push.url,
            timeoutMs: Math.min(push.timeoutMs, capMs),
            proof: byScheme(push.url),
          },
        ]
      : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Where a probe may go

export interface NetworkScope {
  /** A sandbox stack: nothing may leave this machine. */
  machineOnly: boolean;
  /** The namespace hosts this tool made for the stack, when they are up. */
  namespace?: { netns: string; stateFile: string; addresses: string[] };
  /** Why there is no namespace to probe from (hosts not up), for messages. */
  noNamespace?: string;
}

export type ProbeRoute =
  /** From this process; `address` pins the connection to a literal address (no DNS asked). */
  | { via: "direct"; address?: string }
  | { via: "namespace"; netns: string }
  | { via: "refused"; reason: string };

/** The test hosts' range (src/sandbox/netns.ts): addresses that exist only in our namespaces. */
const TEST_HOST_RANGE = /^10\.231\.\d{1,3}\.\d{1,3}$/;

/** What a stack's probes may reach: read from its kind and its namespace hosts' state. */
export function networkScope(env: Pick<Environment, "kind">): NetworkScope {
  const machineOnly = env.kind === "sandbox";
  const stateFile = hostsStateFile(env as Environment);
  const makeThem = "as root run 'ebill-ops sandbox-hosts up' to make them";
  if (!stateFile) return { machineOnly };
  const state = readNamespaceHosts(stateFile);
  const controller = state?.controllerNamespace;
  if (!state || !controller || state.hosts.length === 0) return { machineOnly, noNamespace: makeThem };
  // A state file outlives a reboot or a killed harness: the namespace itself must exist.
  if (!existsSync(path.join("/run/netns", controller)))
    return {
      machineOnly,
      noNamespace: `${stateFile} names namespace ${controller}, which is gone; ${makeThem}`,
    };
  return {
    machineOnly,
    namespace: { netns: controller, stateFile, addresses: state.hosts.map((h) => h.address) },
  };
}

function hostOf(url: string): { host: string; port: string } | null {
  try {
    const u = new URL(url);
    return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port };
  } catch {
    return null;
  }
}

const isLoopback = (host: string) => host === "::1" || (net.isIPv4(host) && host.startsWith("127."));

/** Where a probe of `url` may go under `scope`; pure, decided before anything is sent. */
export function routeFor(scope: NetworkScope, url: string): ProbeRoute {
  const target = hostOf(url);
  if (!target) return { via: "refused", reason: `'${url}' is not a URL` };
  const { host } = target;
  if (scope.namespace?.addresses.includes(host)) return { via: "namespace", netns: scope.namespace.netns };
  if (!scope.machineOnly) return { via: "direct" };
  // A sandbox stack: this machine only. A name would need DNS (a packet off the machine), so only
  // literal loopback addresses, and "localhost" pinned to 127.0.0.1.
  if (isLoopback(host)) return { via: "direct", address: host };
  if (host === "localhost") return { via: "direct", address: "127.0.0.1" };
  const where = `${host}${target.port ? `:${target.port}` : ""}`;
  if (TEST_HOST_RANGE.test(host))
    return {
      via: "refused",
      reason: scope.namespace
        ? `${host} is not one of the namespace hosts that are up (${scope.namespace.addresses.join(", ")}); nothing sent to ${where}`
        : `the sandbox hosts are not up (${host} exists only inside them), so nothing was sent to ${where}; ${scope.noNamespace ?? "make them with 'ebill-ops sandbox-hosts up'"}`,
    };
  return {
    via: "refused",
    reason: `${where} is outside this machine; a sandbox stack is probed only on 127.0.0.1 and its namespace hosts, so nothing was sent. Point the URL at 127.0.0.1 or a sandbox host`,
  };
}

// ---------------------------------------------------------------------------------------------
// Probing

/** Probes one target: decides the route, then asks the service to prove itself. */
export async function probe(target: ProbeTarget, scope: NetworkScope): Promise<ProbeResult> {
  const url = withoutCredentials(target.url);
  const base = { name: target.name, url, proofAsked: target.proof.kind !== "none" };
  const route = routeFor(scope, target.url);
  if (route.via === "refused")
    return {
      ...base,
      verdict: "not-probed",
      layer: "policy",
      via: "not sent",
      ms: 0,
      evidence: route.reason,
    };
  if (target.proof.kind === "unavailable")
    return {
      ...base,
      verdict: "not-probed",
      layer: "policy",
      via: "not sent",
      ms: 0,
      evidence: target.proof.reason,
    };
  if (route.via === "namespace") {
    const found = await probeInNamespace(target, route.netns);
    return { ...base, ...found, via: `namespace ${route.netns}` };
  }
  return { ...base, ...(await probeFromHere(target, route.address)), via: "direct" };
}

export type Observation = Pick<
  ProbeResult,
  "verdict" | "layer" | "status" | "result" | "message" | "ms" | "evidence" | "certificateValidTo"
>;

/** Upper bound on an answer read: a status answer is small; anything larger is not one. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * The HTTP exchange itself, from this process (inside a namespace this runs in the child). Only
 * for routes `routeFor` allowed; `address` pins the connection without asking DNS.
 */
export function probeFromHere(target: ProbeTarget, address?: string): Promise<Observation> {
  const started = Date.now();
  const u = new URL(target.url);
  const tls = u.protocol === "https:";
  const proof = target.proof;
  const call =
    proof.kind === "signed-call" ? JSON.stringify(signedCall(proof.appId, proof.appKey, proof.data)) : null;
  const pathname = call
    ? `${u.pathname.replace(/\/+$/, "")}/${(proof as { method: string }).method}`
    : u.pathname;
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<Observation, "ms">) => {
      if (settled) return;
      settled = true;
      resolve({ ...o, ms: Date.now() - started });
    };
    const options: https.RequestOptions = {
      protocol: u.protocol,
      host: address ?? u.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: u.port || (tls ? 443 : 80),
      path: `${pathname}${u.search}`,
      method: call ? "POST" : "GET",
      agent: false, // a fresh connection each probe: a reused socket proves nothing about the service now
      timeout: target.timeoutMs,
      headers: {
        host: u.host,
        "user-agent": "ebill-ops probe",
        ...(call ? { "content-type": "application/json; charset=utf-8" } : {}),
      },
      ...(tls ? { servername: net.isIP(u.hostname) ? undefined : u.hostname } : {}),
    };
    let request: http.ClientRequest;
    try {
      request = (tls ? https : http).request(options);
    } catch (error) {
      done({ verdict: "unreachable", layer: "tcp", evidence: message(error) });
      return;
    }
    request.on("timeout", () => request.destroy(new Error(`no answer within ${target.timeoutMs} ms`)));
    request.on("error", (error: NodeJS.ErrnoException) => done(fromError(error)));
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      const certificate = tls ? describeCertificate(response.socket as TLSSocket) : "";
      const validTo = tls ? (response.socket as TLSSocket).getPeerCertificate?.()?.valid_to : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) response.destroy();
        else chunks.push(chunk);
      });
      response.on("error", (error) => done(fromError(error)));
      response.on("close", () =>
        done({
          ...judge(proof, status, Buffer.concat(chunks).toString("utf8"), certificate),
          ...(validTo ? { certificateValidTo: validTo } : {}),
        }),
      );
    });
    request.end(call ?? undefined);
  });
}

/** The verdict on an HTTP answer: only the proof the target was asked for counts. */
function judge(proof: Proof, status: number, body: string, certificate: string): Omit<Observation, "ms"> {
  const answered = `answered HTTP ${status}`;
  if (proof.kind === "signed-call") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return {
        verdict: "not-verified",
        layer: "http",
        status,
        evidence: `${answered} without the product's signed answer (not JSON): something answers there, but nothing shows it is the service`,
      };
    }
    const verified = verifyAnswer(parsed, proof.appKey);
    if (!verified.ok)
      return {
        verdict: "not-verified",
        layer: "sign",
        status,
        evidence: `${answered}, but ${verified.reason} of appid ${proof.appId}: not verified`,
      };
    const result = verified.value.result;
    return {
      verdict: "verified",
      layer: "business",
      status,
      result,
      message: verified.value.message,
      evidence: `signed answer (appid ${proof.appId}, result ${result}${result === SUCCESS ? "" : ` ${brief(verified.value.message)}`})${certificate ? `, ${certificate}` : ""}`,
    };
  }
  if (proof.kind === "tls-certificate" && certificate)
    return status >= 500
      ? {
          verdict: "failing",
          layer: "http",
          status,
          evidence: `${certificate}, but ${answered} (server error)`,
        }
      : { verdict: "verified", layer: "tls", status, evidence: `${certificate}, ${answered}` };
  return {
    verdict: "not-verified",
    layer: "http",
    status,
    evidence: `${answered}; a plain HTTP answer does not show who answered (no signature or certificate to check): not verified`,
  };
}

const brief = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function describeCertificate(socket: TLSSocket): string {
  const cert = socket.getPeerCertificate?.();
  if (!cert || !cert.subject) return "trusted TLS certificate";
  return `trusted TLS certificate CN=${cert.subject.CN ?? "?"} valid to ${cert.valid_to}`;
}

const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL|HOSTNAME/i;

function fromError(error: NodeJS.ErrnoException): Omit<Observation, "ms"> {
  const code = error.code ?? "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return { verdict: "unreachable", layer: "dns", evidence: `name not found (${code})` };
  // Something answered the TLS handshake, but not with a certificate we trust for this name.
  if (TLS_ERROR.test(code) || TLS_ERROR.test(error.message))
    return {
      verdict: "not-verified",
      layer: "tls",
      evidence: `TLS certificate not trusted (${code || error.message}): not verified`,
    };
  return { verdict: "unreachable", layer: "tcp", evidence: message(error) };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// Inside a namespace

/**
 * The child program: compiled, beside the running code (dist/probe-child.js, bin/build.mjs), so
 * it starts as plain Node; from the sources (tests import this module), through tsx.
 */
const CHILD_ARGS = import.meta.url.endsWith(".js")
  ? [fileURLToPath(new URL("./probe-child.js", import.meta.url))]
  : ["--import", "tsx", path.join(REPO_ROOT, "src/probe/probe-child.ts")];

/**
 * Runs the same probe in a child process inside the network namespace of the test hosts (their
 * addresses exist only there, and it has no route off the machine). The target, app key included,
 * goes on stdin, never on a command line.
 */
async function probeInNamespace(target: ProbeTarget, netns: string): Promise<Observation> {
  const started = Date.now();
  const fail = (why: string): Observation => ({
    verdict: "not-probed",
    layer: "policy",
    ms: Date.now() - started,
    evidence: `could not probe from namespace ${netns}: ${why}`,
  });
  try {
    const child = await run("ip", ["netns", "exec", netns, process.execPath, ...CHILD_ARGS], {
      cwd: REPO_ROOT, // where `--import tsx` is resolved
      input: JSON.stringify(target),
      timeoutMs: target.timeoutMs + 10_000,
      killSignal: "SIGKILL",
    });
    try {
      return JSON.parse(child.stdout) as Observation;
    } catch {
      return fail(
        `exit ${child.code}: ${child.stderr.trim().split("\n").slice(-3).join(" ") || "no output"}`,
      );
    }
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

// ---------------------------------------------------------------------------------------------
// Disk

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Free space of the file system holding `dir`, or null when it cannot be read from here. */
export async function diskSpace(dir: string): Promise<DiskSpace | null> {
  try {
    const s = await statfs(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** Whether the database runs on this machine, so its tablespace directories are ours to statfs. */
export function isLocalDatabase(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1";
}

export const formatBytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

/** The URL as shown in reports: user and password (if a URL ever carries them) left out. */
export function withoutCredentials(target: string): string {
  try {
    const u = new URL(target);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return target;
  }
}
