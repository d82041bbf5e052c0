/** A problem found in a stack: where it is and what to do. Validation never throws; it returns these. */
export interface ConfigIssue {
  /** The stack file, relative to the repository when inside it. */
  file: string;
  /** Path inside the declaration, e.g. `invoicingPoints[3].code`; empty for the whole file. */
  path: string;
  message: string;
  severity: "error" | "warning";
  /** The rule (or `schema`, `parse`) that found it. */
  rule: string;
}

/** Formats a path the way people write it: `hosts[0].ssh.port`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === "" ? issue.file : `${issue.file}: ${issue.path}`;
  return `${where}: ${issue.severity === "warning" ? "warning: " : ""}${issue.message}`;
}
