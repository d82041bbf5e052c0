/**
 * Characters a stack value must not hold. Each would pass a schema check and trip later: NUL is
 * refused by PostgreSQL mid-apply, a lone surrogate is stored as U+FFFD so the plan never settles,
 * a line break or terminal escape garbles plans and logs, and bidirectional or invisible marks
 * make a reviewer read something other than what is applied (U+202E shows "10.0.0.1" backwards).
 */

const SUSPICIOUS =
  // Matching control characters is the point of this expression.
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NAMES: Record<number, string> = {
  0x00: "NUL",
  0x09: "TAB",
  0x0a: "LINE FEED",
  0x0d: "CARRIAGE RETURN",
  0x1b: "ESCAPE",
  0x7f: "DELETE",
  0x061c: "ARABIC LETTER MARK",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
};

const hex = (code: number) => "U+" + code.toString(16).toUpperCase().padStart(4, "0");

/** Why one character is refused, in words; null when the text is fine. */
export function suspiciousCharacter(text: string): string | null {
  const match = SUSPICIOUS.exec(text);
  if (!match) return null;
  const code = match[0].charCodeAt(0);
  const at = `at character ${match.index + 1}`;
  if (code >= 0xd800 && code <= 0xdfff)
    return `contains a lone surrogate (${hex(code)}) ${at}: not valid Unicode; PostgreSQL would store U+FFFD instead and the plan would never settle. Fix the text's encoding`;
  const name = NAMES[code] ? `${hex(code)} ${NAMES[code]}` : hex(code);
  if (code === 0) return `contains ${name} ${at}, which PostgreSQL cannot store; remove it`;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029)
    return `contains the control character ${name} ${at}; a stack value is one line of visible text, remove it`;
  return `contains the invisible or bidirectional mark ${name} ${at}, which makes the text read differently from what it is; remove it`;
}
