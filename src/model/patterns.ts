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

/** PostgreSQL reserves names starting with pg_ for itself (tablespaces, schemas, roles). */
export const NOT_RESERVED_BY_POSTGRES = /^(?!pg_)/;

/** http:// or https:// (any case, as the URL parser reads it) followed by a host. */
export const HTTP_URL_START = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\s/?#\\]/;

/** No user:pass@ before the host: the authority, up to the first / ? # or \, holds no @. */
export const URL_WITHOUT_CREDENTIALS = /^[^/?#]*\/\/[^/?#\\@]*([/?#\\]|$)/;

/**
 * MM-DDTHH:MM that exists every year: 30 days in April, June, September and November, up to 29 in
 * February (a yearly freeze on 02-29 is real every fourth year), hours 00-23, minutes 00-59.
 */
export const EXISTING_YEARLY_MOMENT =
  /^((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|[12]\d))T([01]\d|2[0-3]):[0-5]\d$/;
