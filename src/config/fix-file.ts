/**
 * Reading a data-fix file: `fixes/<stack>/<YYYY-MM-DD>-<slug>.ts` (also `.yaml`, `.json`). A `.ts`
 * file is evaluated like a stack (contained child process, only its default export's JSON comes
 * back); the result is checked against the schema. Its identity for "applied once" is the sha256
 * of what it does (statement, expected rows, verification), so a corrected typo in the reason does
 * not make it apply twice, and the same fix under another name is still the same fix.
 */
import path from "node:path";
import { canonicalJson, sha256 } from "../base/canonical.ts";
import { FIX_FILE_NAME, FixDefinition } from "../model/fix.ts";
import { parseJson, parseYaml } from "./document.ts";
import { evaluateTsStack } from "./evaluate-ts.ts";
import { formatPath } from "./issues.ts";
import { readStackEntry, shownPath, StackFileError } from "./stack-file.ts";

export interface FixFile {
  /** The path as shown to people. */
  file: string;
  /** The folder's name: the stack it is written for. */
  stack: string;
  fix: FixDefinition;
  /** sha256 of {statement, expect, verify}: applied once. */
  hash: string;
}

export class FixFileError extends Error {}

export function fixHash(fix: Pick<FixDefinition, "statement" | "expect" | "verify">): string {
  return sha256(canonicalJson({ statement: fix.statement, expect: fix.expect, verify: fix.verify }));
}

async function readValue(file: string, shown: string): Promise<unknown> {
  const { real, bytes } = await readStackEntry(file).catch((error: unknown) => {
    throw error instanceof StackFileError ? new FixFileError(`${shown}: ${error.message}`) : error;
  });
  const ext = path.extname(file);
  const parsed =
    ext === ".ts"
      ? await evaluateTsStack(real).then((e) =>
          e.ok
            ? parseJson(e.json, shown)
            : { ok: false as const, issues: [{ path: "", message: e.message }] },
        )
      : ext === ".json"
        ? parseJson(bytes.toString("utf8"), shown)
        : await parseYaml(bytes.toString("utf8"), shown);
  if (!parsed.ok)
    throw new FixFileError(
      `${shown} cannot be read: ${parsed.issues.map((i) => (i.path ? `${i.path}: ` : "") + i.message).join("; ")}`,
    );
  return parsed.value;
}

/** Reads and checks a fix file written for `stack`; throws FixFileError naming the file and what to do. */
export async function loadFixFile(file: string, stack: string): Promise<FixFile> {
  const shown = shownPath(file);
  const name = path.basename(file);
  const folder = path.basename(path.dirname(path.resolve(file)));
  if (!FIX_FILE_NAME.test(name))
    throw new FixFileError(
      `${shown}: a fix file is named <YYYY-MM-DD>-<slug>.ts (or .yaml), e.g. 2026-11-29-wrong-channel.yaml, in fixes/<stack>/. Nothing was run.`,
    );
  if (folder !== stack)
    throw new FixFileError(
      `${shown} lies in a folder named '${folder}', so it is written for stack '${folder}', not '${stack}'; ` +
        `fixes for stack ${stack} live in fixes/${stack}/. Nothing was run.`,
    );
  const value = await readValue(file, shown);
  const result = FixDefinition.safeParse(value);
  if (!result.success)
    throw new FixFileError(
      `${shown} is not a valid fix:\n` +
        result.error.issues
          .map((i) => `  ${shown}: ${formatPath(i.path) || "(top)"}: ${i.message}`)
          .join("\n") +
        "\nNothing was run.",
    );
  return { file: shown, stack: folder, fix: result.data, hash: fixHash(result.data) };
}
