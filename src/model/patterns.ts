/**
 * Patterns for values that reach SQL or a shell. They are deliberately narrower than what
 * PostgreSQL or a file system accepts: a stack is reviewed by people, and a name that needs
 * quoting to be safe is a name nobody should have to review.
 */

/** Tablespace, database, schema and user names: lower-case, no quoting ever needed. */
export const SAFE_IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** Absolute paths without spaces, quotes, `..` tricks being possible only via segments checked below. */
export const SAFE_PATH = /^\/(?!.*\/\.\.?(\/|$))[A-Za-z0-9_.\-/]*$/;

/** Secret names, as environment variable names. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
