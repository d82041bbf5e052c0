/**
 * Secrets are references in a stack (`{secret: "FISCAL_APP_KEY"}`) and values only at run time:
 * from the process environment (CI secrets) or from an untracked `.secrets.env` file
 * (`NAME=value` lines) at the repository root. The sandbox writes its own generated secrets to
 * `.sandbox/secrets.env` (or `$EBILL_SANDBOX_DIR/secrets.env`), read last.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Environment, SecretRef } from "../model/environment.ts";
import { formatPath } from "./issues.ts";
import { sandboxRoot } from "../base/paths.ts";
import { REPO_ROOT } from "../base/paths.ts";

/** The files searched, in order; the sandbox's own follows EBILL_SANDBOX_DIR when that is set. */
export function secretFiles(): string[] {
  return [path.join(REPO_ROOT, ".secrets.env"), path.join(sandboxRoot(), "secrets.env")];
}

function readSecretFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return new Map();
  }
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values.set(match[1]!, match[2]!.replace(/^"(.*)"$/, "$1"));
  }
  return values;
}

export function resolveSecret(ref: SecretRef, files: readonly string[] = secretFiles()): string {
  const fromEnv = process.env[ref.secret];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  for (const file of files) {
    const value = readSecretFile(file).get(ref.secret);
    if (value !== undefined) return value;
  }
  throw new Error(
    `secret ${ref.secret} is not set: export ${ref.secret}=... (a CI secret) or add it to .secrets.env (never commit it)`,
  );
}

/** One secret a stack references, and every place in the declaration that references it. */
export interface SecretUse {
  name: string;
  paths: string[];
}

/** Every `{secret: NAME}` in a declaration, by name, with the paths that use it (in order). */
export function secretUses(declaration: unknown): SecretUse[] {
  const uses = new Map<string, string[]>();
  const walk = (value: unknown, at: PropertyKey[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i]));
    else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      const name = (value as { secret?: unknown }).secret;
      if (keys.length === 1 && typeof name === "string") {
        const paths = uses.get(name) ?? [];
        uses.set(name, [...paths, formatPath(at)]);
      } else for (const k of keys) walk((value as Record<string, unknown>)[k], [...at, k]);
    }
  };
  walk(declaration, []);
  return [...uses].map(([name, paths]) => ({ name, paths }));
}

function isSet(name: string, files: readonly string[]): boolean {
  try {
    resolveSecret({ secret: name }, files);
    return true;
  } catch {
    return false;
  }
}

/** Where this stack's secrets come from, in words, for a message about one that is not set. */
export function secretSources(env: Pick<Environment, "kind" | "name">): string {
  if (env.kind === "sandbox") {
    const file = path.relative(process.cwd(), path.join(sandboxRoot(), "secrets.env"));
    return `a sandbox's secrets come from ${file.startsWith("..") ? path.join(sandboxRoot(), "secrets.env") : file} (written by 'ebill-ops sandbox up'; EBILL_SANDBOX_DIR moves it) or the environment`;
  }
  return `they come from the environment: in CI the secrets of the GitHub environments '${env.name}-plan' and '${env.name}' passed to the step in 'env:', on a workstation 'export NAME=...' or a line NAME=... in .secrets.env (never committed)`;
}

/**
 * The secrets a stack references that this process cannot resolve, each with the paths that use
 * it. Checked as a whole before anything runs, so a mistyped name that only the hosts use is
 * named by `validate --resolve-secrets` and `plan` instead of passing until an apply needs it.
 */
export function missingSecrets(env: Environment, files: readonly string[] = secretFiles()): SecretUse[] {
  return secretUses(env).filter((use) => !isSet(use.name, files));
}

/** Throws naming every secret the stack references that is not set, and where they come from. */
export function requireStackSecrets(env: Environment, files: readonly string[] = secretFiles()): void {
  const missing = missingSecrets(env, files);
  if (missing.length === 0) return;
  const list = missing.map((m) => `${m.name} (${m.paths.join(", ")})`).join(", ");
  throw new Error(
    `stack ${env.name} references ${missing.length > 1 ? "secrets that are" : "a secret that is"} not set: ${list}. Check the spelling; ${secretSources(env)}. Nothing was read or changed.`,
  );
}
