/**
 * Connecting to an environment's e-bill database with `pg`. The password is a secret reference
 * resolved at run time (environment variable or untracked secrets file), never a stack value.
 *
 * The sandbox stack declares port 54329; `EBILL_SANDBOX_PG_PORT` moves the sandbox server
 * (`ebill-ops sandbox up`) and is honoured here too, so plan / apply / drift on `--stack sandbox`
 * follow it. It only replaces that declared default of a `kind: "sandbox"` stack, so a test
 * database on another port is never redirected by a developer's shell variable.
 */
import pg from "pg";
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

export function connectionConfig(env: Pick<Environment, "kind" | "database" | "name">): pg.ClientConfig {
  const db = env.database;
  return {
    host: db.host,
    port: effectivePort(env),
    database: db.name,
    user: db.user,
    password: resolveSecret(db.password),
    ssl: sslOption(db.sslMode),
    application_name: `ebill-ops ${env.name}`.slice(0, 63),
    connectionTimeoutMillis: 15_000,
  };
}

/** A connected client. The caller ends it (see withClient). Errors name the stack and the address. */
export async function connect(env: Pick<Environment, "kind" | "database" | "name">): Promise<pg.Client> {
  const config = connectionConfig(env);
  const client = new pg.Client(config);
  // A dropped connection must not crash the process with an unhandled 'error' event; the failing
  // query reports it.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const hint =
      env.kind === "sandbox" ? " Is the sandbox running? Start it with 'ebill-ops sandbox up'." : "";
    throw new Error(
      `cannot connect to the database of stack ${env.name} (${config.user}@${config.host}:${config.port}/${config.database}): ${error instanceof Error ? error.message : String(error)}.${hint}`,
    );
  }
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
