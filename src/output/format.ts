/** Small shared pieces of every rendering: values, changed fields, symbols, colour. */
import type { Action, Change, Plan } from "../plan/types.ts";

export const SYMBOL: Record<Action, string> = { create: "+", update: "~", delete: "-", replace: "-/+" };

/** A value as people read it in a plan: 'text', 12, true, [a, b], (none). */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  if (typeof value === "string") return `'${value}'`;
  if (Array.isArray(value))
    return `[${value.map((v) => (typeof v === "string" ? v : formatValue(v))).join(", ")}]`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** Fields whose values differ between before and after, in a stable order. */
export function changedFields(change: Pick<Change, "before" | "after">): FieldChange[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** `name='门诊收费处' enabled=true`: the fields of a created or deleted object on one line. */
export function inlineFields(fields: Record<string, unknown> | null, id?: string): string {
  if (!fields) return "";
  return Object.entries(fields)
    .filter(([, v]) => v !== id) // the id is already on the line (code, account, billCode)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(" ");
}

export function summaryLine(plan: Pick<Plan, "summary">): string {
  const s = plan.summary;
  return `${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.replace} to replace`;
}

export function isEmpty(plan: Pick<Plan, "changes">): boolean {
  return plan.changes.length === 0;
}

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !("NO_COLOR" in process.env && process.env.NO_COLOR !== "");
}

export interface Paint {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const ansi = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const COLOR: Paint = { green: ansi(32), yellow: ansi(33), red: ansi(31), bold: ansi(1), dim: ansi(2) };
export const PLAIN: Paint = {
  green: (s) => s,
  yellow: (s) => s,
  red: (s) => s,
  bold: (s) => s,
  dim: (s) => s,
};

export function paintFor(action: Action, paint: Paint): (s: string) => string {
  return action === "create" ? paint.green : action === "update" ? paint.yellow : paint.red;
}
