/**
 * Read-only observations of the world outside the database: HTTP reachability of the interfaces
 * and free space on the disk that holds a tablespace.
 */
import { statfs } from "node:fs/promises";
import http from "node:http";
import https from "node:https";

export interface HttpProbe {
  url: string;
  ok: boolean;
  /** HTTP status when the server answered. */
  status?: number;
  ms: number;
  error?: string;
}

/**
 * Any HTTP answer below 500 counts as reachable: the probe sends a bare GET, which a signed API
 * endpoint rightly rejects (404/405/401), yet the answer proves the path, port and service are up.
 */
export function probeHttp(target: string, timeoutMs: number): Promise<HttpProbe> {
  const started = Date.now();
  const url = withoutCredentials(target);
  return new Promise((resolve) => {
    const client = url.startsWith("https:") ? https : http;
    const done = (result: Omit<HttpProbe, "url" | "ms">) =>
      resolve({ url, ms: Date.now() - started, ...result });
    let request: http.ClientRequest;
    try {
      request = client.get(target, {
        agent: false, // a fresh connection each probe: a reused socket proves nothing about the service now
        timeout: timeoutMs,
        headers: { "user-agent": "ebill-ops rollover check" },
      });
    } catch (error) {
      done({ ok: false, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    request.on("response", (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      done(
        status < 500
          ? { ok: true, status }
          : { ok: false, status, error: `answered HTTP ${status} (server error)` },
      );
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (error) => done({ ok: false, error: error.message }));
  });
}

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Free space of the file system holding `dir`, or null when it cannot be read from here. */
export async function diskSpace(dir: string): Promise<DiskSpace | null> {
  try {
    const s = await statfs(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** Whether the database runs on this machine, so its tablespace directories are ours to statfs. */
export function isLocalDatabase(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1";
}

export const formatBytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

/** The URL as shown in reports: user and password (if a URL ever carries them) left out. */
export function withoutCredentials(target: string): string {
  try {
    const u = new URL(target);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return target;
  }
}
