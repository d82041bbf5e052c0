/**
 * What a stack file uses: composing a stack from shared parts (environments hold only what
 * differs, Flux style) and from one file per fiscal year, which is what `rollover prepare` writes
 * for the next year.
 *
 * Types only from environment.ts: a .ts stack runs in a child process (src/config/evaluate-ts.ts),
 * and importing the model's zod schemas there would build them for nothing (0.4 s per stack).
 */
import type { EnvironmentInput, SecretRef } from "./environment.ts";

/** Identity function that gives a stack file its type: `export default defineEnvironment({...})`. */
export function defineEnvironment(env: EnvironmentInput): EnvironmentInput {
  return env;
}

/** Marks a field as holding a secret reference; use in stacks: `password: secret("EBILL_DB_PASSWORD")`. */
export function secret(name: string): SecretRef {
  return { secret: name };
}

type Input<K extends keyof EnvironmentInput> = NonNullable<EnvironmentInput[K]>;

/** Everything that belongs to one fiscal year: storage, bill types, templates, stock. */
export interface YearDeclaration {
  year: number;
  tablespaces: Input<"tablespaces">;
  partitions: Input<"partitions">;
  billTypes: Input<"billTypes">;
  printTemplates: Input<"printTemplates">;
  billStock: Input<"billStock">;
  /** Bill codes of this year each invoicing point may issue, by point code. */
  placeBillCodes: Record<string, string[]>;
}

export function defineYear(year: YearDeclaration): YearDeclaration {
  return year;
}

/** Appends each year's parts to the base and gives every invoicing point its bill codes of those years. */
export function withYears(base: EnvironmentInput, years: readonly YearDeclaration[]): EnvironmentInput {
  const sorted = [...years].sort((a, b) => a.year - b.year);
  // One generic over the five year parts; the casts only tell TypeScript what the key already says.
  const concat = <K extends "tablespaces" | "partitions" | "billTypes" | "printTemplates" | "billStock">(
    key: K,
  ) => [...((base[key] ?? []) as unknown[]), ...sorted.flatMap((y) => y[key] as unknown[])] as Input<K>;
  return {
    ...base,
    tablespaces: concat("tablespaces"),
    partitions: concat("partitions"),
    billTypes: concat("billTypes"),
    printTemplates: concat("printTemplates"),
    billStock: concat("billStock"),
    invoicingPoints: base.invoicingPoints?.map((p) => ({
      ...p,
      billCodes: [...p.billCodes, ...sorted.flatMap((y) => y.placeBillCodes[p.code] ?? [])],
    })),
  };
}

/**
 * The years of a stack that follows the calendar (the sandbox): `template(year)` declares `year`
 * (normally `currentYear()`, so the stack works on any date), unless one of `files` declares that
 * year already; then the files. `rollover prepare` writes next year as such a file and lists it
 * here, so the year-end can be rehearsed in December, and a year file kept past New Year wins
 * over the template instead of declaring the year twice.
 */
export function calendarYears(
  year: number,
  template: (year: number) => YearDeclaration,
  files: readonly YearDeclaration[] = [],
): YearDeclaration[] {
  return [...(files.some((f) => f.year === year) ? [] : [template(year)]), ...files];
}
