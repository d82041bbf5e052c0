/**
 * Every problem at once, also when the schema refuses part of a stack: the parts that pass the
 * schema are kept (in a list, the elements that pass), so the rules still run on them. A wrong
 * `kind` must not hide two dangling references until it is fixed.
 *
 * What a rule reports about a kept list element must carry the element's index in the file, not
 * in the shortened list: `restoreIndexes` puts them back.
 */
import type { z } from "zod";
import { Environment } from "../model/environment.ts";

export type PartialEnvironment = Partial<Environment>;
export type Part = keyof Environment;

export interface Salvaged {
  env: PartialEnvironment;
  /** Parts the schema refused in whole or in part. */
  broken: Set<Part>;
  /** For a list with refused elements: index in the kept list -> index in the file. */
  kept: Map<Part, number[]>;
}

/** The element schema of a list part (`z.array(X).optional()` -> X), or null for other parts. */
function elementSchema(schema: z.ZodType): z.ZodType | null {
  let inner: z.ZodType = schema;
  for (;;) {
    const def = (
      inner as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } } }
    )._zod.def;
    if ((def.type === "optional" || def.type === "default") && def.innerType) inner = def.innerType;
    else if (def.type === "array" && def.element) return def.element;
    else return null;
  }
}

export function salvage(raw: unknown): Salvaged {
  const shape = Environment.shape as Record<Part, z.ZodType>;
  const env: Record<string, unknown> = {};
  const broken = new Set<Part>();
  const kept = new Map<Part, number[]>();
  const input =
    raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  for (const part of Object.keys(shape) as Part[]) {
    const value = Object.hasOwn(input, part) ? input[part] : undefined;
    const whole = shape[part].safeParse(value);
    if (whole.success) {
      if (whole.data !== undefined) env[part] = whole.data;
      continue;
    }
    broken.add(part);
    const element = elementSchema(shape[part]);
    if (!element || !Array.isArray(value)) continue;
    const elements: unknown[] = [];
    const indexes: number[] = [];
    value.forEach((item, index) => {
      const one = element.safeParse(item);
      if (one.success) {
        elements.push(one.data);
        indexes.push(index);
      }
    });
    env[part] = elements;
    kept.set(part, indexes);
  }
  return { env: env as PartialEnvironment, broken, kept };
}

/** `billStock[2]` in a rule's finding about the shortened list becomes the index in the file. */
export function restoreIndexes(text: string, kept: ReadonlyMap<Part, number[]>): string {
  let out = text;
  for (const [part, indexes] of kept)
    out = out.replace(
      new RegExp(`\\b${part}\\[(\\d+)\\]`, "g"),
      (whole, index: string) => `${part}[${indexes[Number(index)] ?? index}]`,
    );
  return out;
}
