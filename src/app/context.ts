/**
 * What the commands that act on one stack share: the loaded stack, the secrets to scrub from
 * everything printed, and where output goes.
 */
import { loadValidStack } from "../config/load.ts";
import { formatIssue } from "../config/issues.ts";
import { requireStackSecrets } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";
import { COLOR, type Paint, PLAIN, useColor } from "../output/format.ts";
import { redactDeep, redactText, secretValues } from "../config/redact.ts";
import { now } from "../base/time.ts";

export interface StackContext {
  /** The stack file as given to the user (relative to the working directory when inside it). */
  file: string;
  env: Environment;
  secrets: Map<string, string>;
  paint: Paint;
  /** Writes to stdout, secrets scrubbed. */
  out(text: string): void;
  /** Notices and progress to stderr, secrets scrubbed, so `--json` stdout stays parseable. */
  notice(text: string): void;
  redact<T>(value: T): T;
}

export async function openStack(ref: string): Promise<StackContext> {
  const { file, env, warnings } = await loadValidStack(ref, { today: now() });
  // Every secret the stack references must resolve, also those only the hosts use (issue 11.8).
  requireStackSecrets(env);
  const secrets = secretValues(env);
  const scrub = (text: string) => redactText(text, secrets);
  for (const w of warnings) process.stderr.write(scrub(formatIssue(w)) + "\n");
  return {
    file,
    env,
    secrets,
    paint: useColor(process.stdout) ? COLOR : PLAIN,
    out: (text) => process.stdout.write(scrub(text)),
    notice: (text) => process.stderr.write(scrub(text.endsWith("\n") ? text : text + "\n")),
    redact: (value) => redactDeep(value, secrets),
  };
}

/** Runs a command body so that an error leaving it is scrubbed of secrets like everything else. */
export async function scrubbed<T>(ctx: Pick<StackContext, "secrets">, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error) error.message = redactText(error.message, ctx.secrets);
    throw error;
  }
}
