/**
 * Secrets are references in a stack (`{secret: "FISCAL_APP_KEY"}`) and values only at run time:
 * from the process environment (CI secrets) or from an untracked `.secrets.env` file
 * (`NAME=value` lines) at the repository root. The sandbox writes its own generated secrets to
 * `.sandbox/secrets.env` (or `$EBILL_SANDBOX_DIR/secrets.env`), read last.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SecretRef } from "../model/environment.ts";
import { REPO_ROOT } from "./load.ts";
import { sandboxRoot } from "../sandbox/root.ts";

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

/** Every secret value known to this process, so logs and reports can be scrubbed of them. */
export function knownSecretValues(
  refs: readonly SecretRef[],
  files: readonly string[] = secretFiles(),
): string[] {
  const values: string[] = [];
  for (const ref of refs) {
    try {
      values.push(resolveSecret(ref, files));
    } catch {
      // An unset secret cannot leak.
    }
  }
  return values.filter((v) => v.length >= 4);
}

/** Replaces every known secret value in a text with `[redacted NAME]`. */
export function redact(text: string, secrets: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [name, value] of secrets)
    if (value.length >= 4) out = out.split(value).join(`[redacted ${name}]`);
  return out;
}
