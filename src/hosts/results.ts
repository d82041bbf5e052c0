/**
 * Ansible's JSON callback output turned into plan changes. Pure functions, table-tested.
 *
 * Each changed task result (each loop item on its own) becomes one Change: `kind` names the host
 * part (from the role the task belongs to), `id` is `<host>/<what>` where `what` is the file path
 * the task manages or else the task's name, before/after come from the diff when Ansible gives one.
 * A task that check mode skipped because it cannot predict it ("would have run") counts as a
 * change too: check mode must never hide what apply would do.
 */
import type { Action, Change, Fields } from "../plan/types.ts";

/** One role -> the kind of its changes. */
export const ROLE_KINDS: Record<string, string> = {
  baseline: "host.baseline",
  ebill_app: "host.app",
  ebill_db_host: "host.tablespaceDir",
  ebill_file_server: "host.archive",
  print_component: "host.printComponent",
  signature_probe: "host.signatureProbe",
  patch: "host.patch",
  ebill_backup: "host.backup",
};

/** The kind of a change to the e-bill service's configuration files (secrets included). */
export const APP_CONFIG_KIND = "host.appConfig";

/** Roles whose failures are findings to report, not errors that stop the plan. */
const PROBE_ROLES = new Set(["signature_probe"]);

/** A new file up to this many lines is shown whole; otherwise (and for every edit) only the lines that change. */
const WHOLE_TEXT_LINES = 40;

export interface AnsibleJson {
  plays: {
    play: { name: string };
    tasks: { task: { name: string; path?: string }; hosts: Record<string, TaskResult> }[];
  }[];
  stats: Record<
    string,
    { ok: number; changed: number; failures: number; unreachable: number; skipped: number }
  >;
}

export interface TaskResult {
  action?: string;
  changed?: boolean;
  failed?: boolean;
  unreachable?: boolean;
  skipped?: boolean;
  skip_reason?: string;
  msg?: unknown;
  diff?: DiffEntry | DiffEntry[];
  path?: string;
  dest?: string;
  name?: string;
  item?: unknown;
  censored?: string;
  _ansible_no_log?: boolean;
  results?: TaskResult[];
  [key: string]: unknown;
}

interface DiffEntry {
  before?: string | Record<string, unknown>;
  after?: string | Record<string, unknown>;
  before_header?: string;
  after_header?: string;
  prepared?: string;
}

export interface Outcome {
  host: string;
  role: string | undefined;
  task: string;
  handler: boolean;
  result: TaskResult;
}

/** Parses the JSON callback's stdout; says what to look at when it is not JSON. */
export function parseAnsibleJson(stdout: string, stderr: string): AnsibleJson {
  const start = stdout.indexOf("{");
  try {
    return JSON.parse(stdout.slice(start)) as AnsibleJson;
  } catch {
    const detail = (stderr.trim() || stdout.trim()).split("\n").slice(-8).join("\n");
    throw new Error(`ansible-playbook gave no JSON result; its output ends with:\n${detail}`);
  }
}

function roleOf(taskPath: string | undefined): string | undefined {
  return taskPath ? /\/roles\/([^/]+)\//.exec(taskPath)?.[1] : undefined;
}

/** Every task result per host, loop items flattened into their own outcomes. */
export function outcomes(json: AnsibleJson): Outcome[] {
  const list: Outcome[] = [];
  for (const play of json.plays ?? [])
    for (const { task, hosts } of play.tasks ?? []) {
      const role = roleOf(task.path);
      const handler = /\/handlers\//.test(task.path ?? "");
      const name = task.name.replace(/^[a-z_]+ : /, "");
      for (const [host, result] of Object.entries(hosts)) {
        if (Array.isArray(result.results) && result.results.length > 0)
          for (const item of result.results)
            list.push({ host, role, task: name, handler, result: { action: result.action, ...item } });
        else list.push({ host, role, task: name, handler, result });
      }
    }
  return list;
}

/** Check mode did not run the task but apply would: counts as a change. */
export function skippedByCheckMode(r: TaskResult): boolean {
  if (!r.skipped) return false;
  const text = `${typeof r.msg === "string" ? r.msg : ""} ${r.skip_reason ?? ""}`;
  return /would have run|check mode/i.test(text);
}

export function isChange(r: TaskResult): boolean {
  return !r.failed && !r.unreachable && (r.changed === true || skippedByCheckMode(r));
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function diffs(r: TaskResult): DiffEntry[] {
  if (!r.diff) return [];
  return Array.isArray(r.diff) ? r.diff : [r.diff];
}

/** What the task manages: the file path, the account, or else the task's name. */
export function subjectOf(o: Outcome): string {
  const r = o.result;
  const header = diffs(r)
    .find((d) => d.before_header?.startsWith("/"))
    ?.before_header?.replace(/ \(content\)$/, "");
  const args = ((r.invocation as { module_args?: Record<string, unknown> } | undefined)?.module_args ??
    {}) as Record<string, unknown>;
  const file = r.path ?? r.dest ?? args.path ?? args.dest ?? header;
  if (typeof file === "string" && file.startsWith("/")) return file;
  const module = r.action?.split(".").pop();
  const name = r.name ?? args.name;
  if ((module === "user" || module === "group") && typeof name === "string") return `${module}:${name}`;
  return slug(o.task);
}

function lines(text: string): string[] {
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Lines of `a` not matched in `b` (multiset difference), in order. */
function minus(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of b) counts.set(l, (counts.get(l) ?? 0) + 1);
  return a.filter((l) => {
    const n = counts.get(l) ?? 0;
    if (n > 0) {
      counts.set(l, n - 1);
      return false;
    }
    return true;
  });
}

/** A replaced file can differ in hundreds of lines; a plan shows the first ones and a count. */
const MAX_LINES = 20;
function capped(list: string[]): string[] {
  return list.length <= MAX_LINES
    ? list
    : [...list.slice(0, MAX_LINES), `… ${list.length - MAX_LINES} more lines`];
}

/** before/after fields from the diff; action create when the thing did not exist. */
export function describe(r: TaskResult): { action: Action; before: Fields | null; after: Fields | null } {
  if (r._ansible_no_log || r.censored) {
    return { action: "update", before: null, after: { content: "(hidden: the task handles secrets)" } };
  }
  const before: Fields = {};
  const after: Fields = {};
  let created = false;
  for (const d of diffs(r)) {
    if (typeof d.before === "string" || typeof d.after === "string") {
      const b = typeof d.before === "string" ? d.before : "";
      const a = typeof d.after === "string" ? d.after : "";
      if (b === "" && a !== "") created = true;
      const bl = lines(b);
      const al = lines(a);
      if (b === "" && al.length <= WHOLE_TEXT_LINES) {
        before.content = b;
        after.content = a;
      } else {
        before.lines = capped([...((before.lines as string[]) ?? []), ...minus(bl, al)]);
        after.lines = capped([...((after.lines as string[]) ?? []), ...minus(al, bl)]);
      }
    } else {
      const b = d.before ?? {};
      const a = d.after ?? {};
      if (b.state === "absent" && a.state !== "absent") created = true;
      for (const [k, v] of Object.entries(b)) if (k !== "path") before[k] = v;
      for (const [k, v] of Object.entries(a)) if (k !== "path") after[k] = v;
    }
  }
  if (Object.keys(after).length === 0 && Object.keys(before).length === 0) {
    return { action: "update", before: null, after: null };
  }
  return { action: created ? "create" : "update", before: created ? null : before, after };
}

export interface Interpretation {
  changes: Change[];
  /** Failed tasks and unreachable hosts: the run cannot be trusted. */
  failures: string[];
  /** Failed probes (e.g. the signature server): reported, not fatal. */
  warnings: string[];
  /** Hosts that took part. */
  hosts: string[];
}

function message(r: TaskResult): string {
  const msg = typeof r.msg === "string" ? r.msg : JSON.stringify(r.msg ?? "");
  const stderr = typeof r.stderr === "string" && r.stderr ? `: ${r.stderr.split("\n")[0]}` : "";
  return `${msg}${stderr}`.slice(0, 400);
}

export function interpret(json: AnsibleJson): Interpretation {
  const byKey = new Map<string, Change>();
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const o of outcomes(json)) {
    const r = o.result;
    if (r.unreachable) {
      failures.push(`${o.host}: unreachable: ${message(r)}`);
      continue;
    }
    if (r.failed) {
      const line = `${o.host}: '${o.task}' failed: ${message(r)}`;
      if (o.role && PROBE_ROLES.has(o.role)) warnings.push(line);
      else failures.push(line);
      continue;
    }
    if (!isChange(r)) continue;
    const what = subjectOf(o);
    const kind =
      o.role === "ebill_app" && (/\.properties$/.test(what) || r.censored)
        ? APP_CONFIG_KIND
        : (ROLE_KINDS[o.role ?? ""] ?? "host.other");
    const id = `${o.host}${what.startsWith("/") ? what : `/${what}`}`;
    const described = describe(r);
    const note = skippedByCheckMode(r)
      ? `${o.task}: check mode cannot run this; apply will`
      : o.handler
        ? `${o.task} (handler: runs because of the changes above)`
        : o.task;
    const key = `${kind}\u0000${id}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, { kind, id, destructive: false, ...described, note });
      continue;
    }
    // Several tasks on one file (lineinfile per setting): one change with every line.
    existing.before = mergeFields(existing.before, described.before);
    existing.after = mergeFields(existing.after, described.after);
    if (!existing.note?.includes(o.task)) existing.note = `${existing.note}; ${o.task}`;
  }
  return {
    changes: [...byKey.values()],
    failures,
    warnings,
    hosts: Object.keys(json.stats ?? {}),
  };
}

function mergeFields(a: Fields | null, b: Fields | null): Fields | null {
  if (!a) return b;
  if (!b) return a;
  const out: Fields = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (k === "lines" && Array.isArray(out.lines) && Array.isArray(v)) out.lines = [...out.lines, ...v];
    else if (k === "content" && typeof out.content === "string" && typeof v === "string") out.content = v;
    else out[k] = v;
  }
  return out;
}

/** The host a change belongs to (ids are `<host>/<what>`). */
export function hostOf(change: Pick<Change, "id">): string {
  return change.id.split("/")[0]!;
}
