/**
 * What a data-fix file uses: `export default defineFix({ reason, ticket, statement, expect, verify })`.
 * Types only (the file runs in a child process, see src/config/evaluate-ts.ts); the schema that
 * checks it is src/model/fix.ts.
 */
export interface FixInput {
  /** Why the data is wrong and what the fix makes it (read by the reviewer and kept in the audit). */
  reason: string;
  /** The hospital's ticket or call that asked for it. */
  ticket: string;
  /** ONE UPDATE, DELETE or INSERT on the product schema (unqualified names are its tables). */
  statement: string;
  /** The exact number of rows the statement must change, or nothing is kept. */
  expect: { rows: number };
  /** A SELECT that returns no rows once the data is right. */
  verify: string;
}

/** Identity function that gives a fix file its type. */
export function defineFix(fix: FixInput): FixInput {
  return fix;
}
