/**
 * Opening a stack for inspect and monitor: loaded and validated like for plan, its secrets checked
 * before anything is read, and what it prints scrubbed of their values. The webhooks' secrets are
 * needed only to notify, so a look without --notify does not ask for them.
 */
import { loadValidStack } from "../config/load.ts";
import { formatIssue } from "../config/issues.ts";
import { requireStackSecrets } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";
import { redactDeep, redactText, secretValues } from "../config/redact.ts";
import { now } from "../base/time.ts";

export interface OpenedStack {
  file: string;
  env: Environment;
  secrets: Map<string, string>;
  redact<T>(value: T): T;
  /** stdout and stderr, secrets scrubbed. */
  out(text: string): void;
  notice(text: string): void;
}

export async function openForChecks(ref: string, options: { notifications: boolean }): Promise<OpenedStack> {
  const { file, env, warnings } = await loadValidStack(ref, { today: now() });
  const needed = options.notifications
    ? env
    : { ...env, maintenance: { ...env.maintenance, notifications: [] } };
  requireStackSecrets(needed);
  const secrets = secretValues(env);
  const scrub = (text: string) => redactText(text, secrets);
  for (const w of warnings) process.stderr.write(scrub(formatIssue(w)) + "\n");
  return {
    file,
    env,
    secrets,
    redact: (value) => redactDeep(value, secrets),
    out: (text) => process.stdout.write(scrub(text)),
    notice: (text) => process.stderr.write(scrub(text.endsWith("\n") ? text : `${text}\n`)),
  };
}

/** Runs a command's body so that an error leaving it is scrubbed of secrets too. */
export async function scrubbedErrors<T>(
  stack: Pick<OpenedStack, "secrets">,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error) error.message = redactText(error.message, stack.secrets);
    throw error;
  }
}
