import path from "node:path";
import { REPO_ROOT } from "../config/load.ts";

/** Where the sandbox keeps its server, data and generated secrets: `.sandbox/`, or EBILL_SANDBOX_DIR. */
export function sandboxRoot(): string {
  return process.env.EBILL_SANDBOX_DIR
    ? path.resolve(process.env.EBILL_SANDBOX_DIR)
    : path.join(REPO_ROOT, ".sandbox");
}
