/**
 * Connecting to an environment's e-bill database with `pg`. The password is a secret reference
 * resolved at run time (environment variable or untracked secrets file), never a stack value.
 *
 * The sandbox stack declares port 54329; `EBILL_SANDBOX_PG_PORT` moves the sandbox server
 * (`ebill-ops sandbox up`) and is honoured here too, so plan / apply / drift on `--stack sandbox`
 * follow it. It only replaces that declared default of a `kind: "sandbox"` stack, so a test
 * database on another port is never redirected by a developer's shell variable.
 */
import type pg from "pg";
import type { Environment } from "../model/environment.ts";
import { resolveSecret } from "../config/secrets.ts";

export const SANDBOX_DEFAULT_PORT = 54329;
export const SANDBOX_PORT_VARIABLE = "EBILL_SANDBOX_PG_PORT";

/** The sandbox port: EBILL_SANDBOX_PG_PORT when set, else 54329. */
export function sandboxPort(): number {
  const raw = process.env[SANDBOX_PORT_VARIABLE];
  if (raw === undefined || raw === "") return SANDBOX_DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${SANDBOX_PORT_VARIABLE}='${raw}' is not a port; use a number 1-65535`);
  return port;
}

/** The port to connect to: as declared, except the sandbox's default port follows EBILL_SANDBOX_PG_PORT. */
export function effectivePort(env: Pick<Environment, "kind" | "database">): number {
  const declared = env.database.port ?? 5432;
  if (env.kind === "sandbox" && declared === SANDBOX_DEFAULT_PORT) return sandboxPort();
  return declared;
}

function sslOption(mode: Environment["database"]["sslMode"]): pg.ClientConfig["ssl"] {
  switch (mode) {
    case "require":
      return { rejectUnauthorized: false };
    case "verify-full":
      return { rejectUnauthorized: true };
    default:
      // node-postgres has no "prefer" (try TLS, fall back): prefer connects without TLS. Declare
      // require or verify-full where the server offers TLS.
      return false;
  }
}

/** The declared timeouts in seconds (the model's defaults when an Environment was built by hand). */
export function timeoutsOf(env: Pick<Environment, "database">): DatabaseTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...env.database.timeouts };
}

type DatabaseTimeouts = Environment["database"]["timeouts"];
const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connect: 5, lock: 15, statement: 60, idleInTransaction: 60 };

/**
 * How much longer than the server's own statement_timeout the tool waits for an answer. A live
 * server cancels the statement itself (with its own clear message); only a server that cannot
 * answer at all (stopped, frozen, cut off) reaches the tool's own limit.
 */
const CLIENT_GRACE_MS = 500;

export function connectionConfig(env: Pick<Environment, "kind" | "database" | "name">): pg.ClientConfig {
  const db = env.database;
  const t = timeoutsOf(env);
  return {
    host: db.host,
    port: effectivePort(env),
    database: db.name,
    user: db.user,
    password: resolveSecret(db.password),
    ssl: sslOption(db.sslMode),
    application_name: `ebill-ops ${env.name}`.slice(0, 63),
    connectionTimeoutMillis: t.connect * 1000,
    // Server side: the session's statements, lock waits and idle open transactions are bounded.
    statement_timeout: t.statement * 1000,
    lock_timeout: t.lock * 1000,
    idle_in_transaction_session_timeout: t.idleInTransaction * 1000,
    // Client side: a server that does not answer at all cannot enforce the limits above.
    query_timeout: t.statement * 1000 + CLIENT_GRACE_MS,
  };
}

/** Raised when the server gave no answer within the declared statement timeout. */
export class DatabaseNotAnswering extends Error {}

function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === "Query read timeout";
}

/**
 * node-postgres reports a query that got no answer in time but keeps the connection, and every
 * later query (even ROLLBACK) would queue behind the unanswered one for ever. So the connection is
 * dropped: the server, once it runs again, sees the closed socket and rolls back whatever was
 * open, and the advisory lock dies with that session.
 */
function abandonOnTimeout(client: pg.Client, what: string, seconds: number): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = original(...args);
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      if (!isReadTimeout(error)) throw error;
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      throw new DatabaseNotAnswering(
        `the database of ${what} gave no answer within ${seconds} s (database.timeouts.statement); ` +
          `the connection was dropped, so the server rolls back whatever this session had not committed. ` +
          `Check that the database server is running and not overloaded, then run the command again`,
      );
    });
  };
}

/** A connected client. The caller ends it (see withClient). Errors name the stack and the address. */
export async function connect(env: Pick<Environment, "kind" | "database" | "name">): Promise<pg.Client> {
  const config = connectionConfig(env);
  // Loaded here: validate, inventory and --help never connect, and pg takes 0.1 s to load.
  const { default: pg } = await import("pg");
  const client = new pg.Client(config);
  // A dropped connection must not crash the process with an unhandled 'error' event; the failing
  // query reports it.
  client.on("error", () => undefined);
  const where = `${config.user}@${config.host}:${config.port}/${config.database}`;
  const started = Date.now();
  try {
    await client.connect();
  } catch (error) {
    const hint =
      env.kind === "sandbox" ? " Is the sandbox running? Start it with 'ebill-ops sandbox up'." : "";
    const message = error instanceof Error ? error.message : String(error);
    // node-postgres words a connect timeout differently across versions; the clock does not lie.
    const timedOut = Date.now() - started >= timeoutsOf(env).connect * 1000 - 100;
    throw new Error(
      `cannot connect to the database of stack ${env.name} (${where}): ` +
        (timedOut
          ? `the server did not answer within ${timeoutsOf(env).connect} s (database.timeouts.connect)`
          : message) +
        `.${hint}`,
    );
  }
  abandonOnTimeout(client, `stack ${env.name} (${where})`, timeoutsOf(env).statement);
  return client;
}

/** Runs `fn` with a connected client and always closes it. */
export async function withClient<T>(
  env: Pick<Environment, "kind" | "database" | "name">,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(env);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
