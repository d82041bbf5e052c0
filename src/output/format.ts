/** Small shared pieces of every rendering: values, changed fields, symbols, colour. */
import type { Action, Change, Plan } from "../plan/types.ts";

export const SYMBOL: Record<Action, string> = { create: "+", update: "~", delete: "-", replace: "-/+" };

/** What the hospital calls each database kind (and the product upgrade), shown beside the English kind in every plan and drift. */
export const KIND_NAMES_ZH: Readonly<Record<string, string>> = {
  tablespaces: "表空间",
  partitions: "年度分区",
  billTypes: "票据种类",
  printTemplates: "打印模板",
  invoicingPoints: "开票点",
  paymentChannels: "缴费渠道",
  codeMappings: "接口对照",
  billStock: "票据号段",
  roles: "角色",
  operators: "操作员",
  "app.upgrade": "产品升级",
};

/** `开票点 invoicingPoints`; a kind without a Chinese name (host parts) as it is. */
export function kindLabel(kind: string): string {
  const zh = KIND_NAMES_ZH[kind];
  return zh ? `${zh} ${kind}` : kind;
}

/**
 * The name a person knows the object by, shown beside its code: the declared name (after), else
 * the live one; a mapping's remote name. None when the object has no name or it is its code.
 */
export function objectName(change: Pick<Change, "kind" | "id" | "before" | "after">): string | undefined {
  const fields = change.after ?? change.before;
  if (!fields) return undefined;
  const name = change.kind === "codeMappings" ? fields.remoteName : fields.name;
  return typeof name === "string" && name !== "" && name !== change.id ? name : undefined;
}

/** How many numbers a stock range holds (first..last inclusive); null when it is not a range. */
export function rangeSize(fields: Record<string, unknown> | null): number | null {
  if (!fields || typeof fields.first !== "string" || typeof fields.last !== "string") return null;
  if (!/^\d+$/.test(fields.first) || !/^\d+$/.test(fields.last)) return null;
  return Number(fields.last) - Number(fields.first) + 1;
}

export function thousands(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * What a reviewer should know besides the fields: how many issued bills use what is disabled or
 * removed, and how many numbers a stock range holds (and held).
 */
export function changeFacts(change: Change): string[] {
  const facts: string[] = [];
  if (change.bills !== undefined)
    facts.push(`used by ${thousands(change.bills)} issued bill${change.bills === 1 ? "" : "s"}`);
  if (change.kind === "billStock") {
    const before = rangeSize(change.before);
    const after = rangeSize(change.after);
    if (before !== null && after !== null && before !== after)
      facts.push(`size: ${thousands(before)} -> ${thousands(after)} numbers`);
    else if (after ?? before) {
      const f = (change.after ?? change.before)!;
      facts.push(`${thousands((after ?? before)!)} numbers, ${String(f.first)}–${String(f.last)}`);
    }
  }
  return facts;
}

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
