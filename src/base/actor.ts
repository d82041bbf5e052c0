/**
 * Who is acting, for the audit, the apply lock and the database's owner: `EBILL_OPS_ACTOR` (set it
 * in pipelines), else `GITHUB_ACTOR` (GitHub Actions sets it), else the OS user.
 */
import { userInfo } from "node:os";

export function actor(): string {
  const named = process.env.EBILL_OPS_ACTOR || process.env.GITHUB_ACTOR;
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (a container's): still an apply worth recording.
    return "unknown";
  }
}
