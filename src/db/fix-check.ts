/**
 * The check every data-fix statement passes BEFORE anything runs, made on the parse tree of the
 * real PostgreSQL parser (libpg-query, PostgreSQL 18's grammar compiled to WebAssembly), never on
 * the text: a `;` inside a string, a statement after a comment, or a keyword in a dollar-quoted
 * body are what the server would see, no more and no less. The rules:
 *
 * - exactly one statement, an UPDATE, DELETE or INSERT (no DDL, DO, CALL, COPY, MERGE, SET...);
 *   no data-modifying statement nested inside it (WITH x AS (DELETE ...));
 * - tables of the product schema only: never `ebill_ops` (the tool's audit and before-images),
 *   pg_catalog or any other schema; unqualified names are resolved in the product schema; never
 *   the login state (password hashes): a plan shows rows, and a plan reaches the pull request;
 * - functions only from a list of ones without side effects (string, number and date functions,
 *   aggregates): no pg_terminate_backend, pg_sleep, set_config, nextval, dblink, query_to_xml
 *   (which would run a statement hidden in a string), lo_* ...;
 * - never a change to an issued bill's fiscal identity (schema-tasks.ts: bill code, number, check
 *   code, amount, issue time), and no INSERT into or DELETE from the issued bills: those are
 *   fiscal records, corrected by red-flush (冲红) in the product.
 *
 * The verification query is checked the same way, as one SELECT.
 */
import { OPS_SCHEMA } from "./reference-schema.ts";
import { fiscalIdentityColumns, LOGIN } from "./schema-tasks.ts";

export type FixKind = "UPDATE" | "DELETE" | "INSERT";

export interface CheckedFix {
  kind: FixKind;
  /** The table the statement changes, in the product schema (a partition counts as itself). */
  table: string;
  statement: string;
  verify: string;
  /** Every table the statement and the verification read or change (checked to exist at run time). */
  tables: string[];
}

export class FixRefused extends Error {}

/**
 * Functions that only compute a value from their arguments (or read the clock). Anything else is
 * refused: a fix needs no more, and a side effect is not something a row count can guard.
 */
const PURE_FUNCTIONS = new Set([
  ...["lower", "upper", "initcap", "trim", "btrim", "ltrim", "rtrim", "lpad", "rpad", "left", "right"],
  ...["substring", "substr", "replace", "translate", "concat", "concat_ws", "length", "char_length"],
  ...["octet_length", "position", "strpos", "split_part", "overlay", "repeat", "reverse", "format"],
  ...["regexp_replace", "regexp_match", "regexp_like", "starts_with", "md5", "to_char", "to_number"],
  ...["abs", "round", "trunc", "ceil", "ceiling", "floor", "mod", "sign", "greatest", "least"],
  ...["now", "current_date", "current_timestamp", "localtimestamp", "date_trunc", "date_part", "extract"],
  ...["to_date", "to_timestamp", "make_date", "make_time", "make_timestamp", "make_interval", "age"],
  ...["count", "sum", "min", "max", "avg", "bool_and", "bool_or", "every", "string_agg", "array_agg"],
  ...["coalesce", "nullif", "lpad", "array_length", "cardinality", "unnest", "generate_series"],
]);

const DML: Record<string, FixKind> = { UpdateStmt: "UPDATE", DeleteStmt: "DELETE", InsertStmt: "INSERT" };
const NESTED_WRITES = new Set(["UpdateStmt", "DeleteStmt", "InsertStmt", "MergeStmt"]);

type Node = Record<string, unknown>;

/** `CreateTableSpaceStmt` -> `CREATE TABLE SPACE`: the parser's node type as a person reads it. */
function sqlName(type: string): string {
  return type
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
}

interface ParseResult {
  stmts?: { stmt: Node; stmt_location?: number }[];
}

let parser: Promise<(sql: string) => ParseResult> | undefined;

/** libpg-query, loaded once (its WebAssembly module takes ~30 ms). */
function loadParser(): Promise<(sql: string) => ParseResult> {
  parser ??= (async () => {
    const pgQuery = await import("libpg-query");
    await pgQuery.loadModule();
    return (sql: string) => pgQuery.parseSync(sql) as ParseResult;
  })();
  return parser;
}

/** Visits every node of a parse tree: `visit(type, node)` for each `{Type: {...}}` object. */
function walk(value: unknown, visit: (type: string, node: Node, depth: number) => void, depth = 0): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, depth);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value as Node)) {
      if (/^[A-Z]/.test(key) && child !== null && typeof child === "object" && !Array.isArray(child))
        visit(key, child as Node, depth);
      walk(child, visit, depth + 1);
    }
  }
}

function names(list: unknown): string[] {
  return Array.isArray(list)
    ? list.map((n) => String(((n as Node).String as { sval?: string } | undefined)?.sval ?? ""))
    : [];
}

interface Part {
  /** "statement" or "verify": named in every refusal. */
  label: string;
  sql: string;
}

async function parseOne(part: Part, problems: string[]): Promise<Node | null> {
  const parse = await loadParser();
  let result: ParseResult;
  try {
    result = parse(part.sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = details?.cursorPosition;
    const where =
      at === undefined ? "" : ` at character ${at + 1} (near '${part.sql.slice(at, at + 20).trim()}')`;
    problems.push(`${part.label}: SQL syntax error${where}: ${(error as Error).message}`);
    return null;
  }
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1) {
    problems.push(
      `${part.label}: must be exactly one SQL statement, the parser finds ${stmts.length}` +
        (stmts.length > 1 ? " (split it into one fix per statement)" : ""),
    );
    return null;
  }
  return stmts[0]!.stmt;
}

/** A table named in the statement (RangeVar, or the target relation, which the tree gives bare). */
function checkRelation(
  part: Part,
  node: Node,
  schema: string,
  cteNames: ReadonlySet<string>,
  tables: Set<string>,
  problems: string[],
): void {
  const where = node.schemaname === undefined ? undefined : String(node.schemaname);
  const name = String(node.relname);
  if (where === OPS_SCHEMA)
    problems.push(
      `${part.label}: ${where}.${name} is the tool's own record (audit, before-images); a fix never touches ${OPS_SCHEMA}`,
    );
  else if (where !== undefined && where !== schema)
    problems.push(
      `${part.label}: ${where}.${name} is outside the product schema '${schema}'; a fix reads and changes only the product's tables`,
    );
  else if (where === undefined && cteNames.has(name)) return;
  else if (name === LOGIN.table)
    // Its password hashes would reach the plan, and with it the pull-request comment.
    problems.push(
      `${part.label}: ${name} holds the operators' password hashes and login state; a fix never reads or changes it, use 'ebill-ops account unlock' or 'account reset-password'`,
    );
  else tables.add(name);
}

/** Problems with the relations and functions anywhere in a statement's tree; collects its tables. */
function checkTree(part: Part, tree: Node, schema: string, tables: Set<string>, problems: string[]): void {
  const cteNames = new Set<string>();
  walk(tree, (type, node) => {
    if (type === "CommonTableExpr") cteNames.add(String(node.ctename));
  });
  walk(tree, (type, node, depth) => {
    if (type === "RangeVar") {
      checkRelation(part, node, schema, cteNames, tables, problems);
    } else if (type === "FuncCall") {
      const parts = names(node.funcname);
      const fn = parts[parts.length - 1]!.toLowerCase();
      const qualifier = parts.length > 1 ? parts[0]!.toLowerCase() : "pg_catalog";
      if (qualifier !== "pg_catalog" || !PURE_FUNCTIONS.has(fn))
        problems.push(
          `${part.label}: the function ${parts.join(".")}() is not allowed: a fix may call only functions without side effects (string, number, date functions and aggregates)`,
        );
    } else if (depth > 0 && NESTED_WRITES.has(type)) {
      problems.push(
        `${part.label}: a data-modifying ${DML[type] ?? "MERGE"} nested inside the statement is not allowed; one fix changes one table`,
      );
    } else if (type === "DoStmt" || type === "CallStmt") {
      problems.push(
        `${part.label}: ${type === "DoStmt" ? "DO blocks" : "CALL"} run procedural code and are not allowed`,
      );
    }
  });
}

/** The fiscal-identity rule for the changed table. */
function checkFiscal(kind: FixKind, table: string, stmt: Node, problems: string[]): void {
  const fiscal = fiscalIdentityColumns(table);
  if (fiscal.length === 0) return;
  const redFlush =
    "issued bills are fiscal records: correct them by red-flush (冲红) in the product, never by SQL";
  if (kind === "DELETE") problems.push(`statement: DELETE from ${table} removes issued bills; ${redFlush}`);
  else if (kind === "INSERT")
    problems.push(`statement: INSERT into ${table} makes bills the product did not issue; ${redFlush}`);
  else {
    const changed = (stmt.targetList as { ResTarget: { name: string } }[]).map((t) => t.ResTarget.name);
    const touched = changed.filter((c) => fiscal.includes(c));
    if (touched.length > 0)
      problems.push(
        `statement: UPDATE of ${table}.${touched.join(`, ${table}.`)} changes an issued bill's fiscal identity (bill code, number, check code, amount, issue time); ${redFlush}`,
      );
  }
}

/**
 * Checks a fix's statement and verification against the rules above; throws FixRefused listing
 * every problem (each naming `file`) when there is one. Nothing is connected to or run.
 */
export async function checkFix(
  file: string,
  fix: { statement: string; verify: string },
  schema: string,
): Promise<CheckedFix> {
  const problems: string[] = [];
  const tables = new Set<string>();
  const statementPart = { label: "statement", sql: fix.statement };
  const verifyPart = { label: "verify", sql: fix.verify };
  const stmt = await parseOne(statementPart, problems);
  const verify = await parseOne(verifyPart, problems);
  let kind: FixKind | undefined;
  let table: string | undefined;
  if (stmt) {
    const [type, body] = Object.entries(stmt)[0] as [string, Node];
    kind = DML[type];
    if (!kind) {
      problems.push(
        `statement: ${sqlName(type)} is not allowed; a fix is one UPDATE, DELETE or INSERT (schema changes are declarations, applied with 'ebill-ops apply')`,
      );
    } else {
      const relation = body.relation as Node;
      table = String(relation.relname);
      checkRelation(statementPart, relation, schema, new Set(), tables, problems);
      checkTree(statementPart, stmt, schema, tables, problems);
      checkFiscal(kind, table, body, problems);
    }
  }
  if (verify) {
    const [type, body] = Object.entries(verify)[0] as [string, Node];
    if (type !== "SelectStmt" || body.intoClause !== undefined)
      problems.push(
        `verify: must be one SELECT (it runs after the statement and must return no rows), not ${sqlName(type)}`,
      );
    else checkTree(verifyPart, verify, schema, tables, problems);
  }
  if (problems.length > 0 || !kind || !table)
    throw new FixRefused(
      `${file} is refused; nothing was run:\n` + problems.map((p) => `  ${file}: ${p}`).join("\n"),
    );
  return { kind, table, statement: fix.statement, verify: fix.verify, tables: [...tables].sort() };
}
