/**
 * Markdown from values (names, notes, file contents) that must stay text: no HTML, links, tables or
 * emphasis, and no way out of a code span or a fenced block. And GitHub's limit on a body.
 */

/** GitHub's hard limit for a comment or issue body. */
export const GITHUB_BODY_LIMIT = 65_536;
/**
 * What every pull-request comment and issue body aims for: room left for GitHub's own counting of
 * multi-byte characters and for a footer.
 */
export const MARKDOWN_BUDGET = 60_000;

function shorten(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** Plain markdown text: every character markdown would act on is escaped, lines joined. */
export function inline(text: string, max = Infinity): string {
  return shorten(text, max)
    .replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, " ");
}

/** Text inside a code span: it cannot close the span or break the line. */
export function code(text: string, max = 120): string {
  return "`" + shorten(text, max).replace(/`/g, "'").replace(/\r?\n/g, " ") + "`";
}

/** A table cell. */
export function cell(text: string, max = 60): string {
  return inline(text, max);
}

/** A line inside a fenced block cannot close the fence. */
export function fenceSafe(line: string): string {
  return line.replace(/`{3,}/g, (m) => m.split("").join("\u200b"));
}
