/**
 * The backups collector: the stack's backups on its backup host (one SSH call listing their
 * manifests and verifications), for `db.backup.age`. Nothing to collect when the stack declares no
 * backups.
 */
import { listBackups } from "../backup/backup.ts";
import type { Environment } from "../model/environment.ts";
import type { BackupFacts } from "./facts.ts";
import type { Collected } from "./types.ts";

export async function collectBackups(env: Environment): Promise<Collected<BackupFacts> | undefined> {
  if (!env.maintenance.backup) return undefined;
  try {
    const all = await listBackups(env);
    const latest = all[0];
    const verified = all.find((b) => b.verification !== null);
    return {
      ok: true,
      value: {
        latest: latest ? { id: latest.manifest.id, takenAt: latest.manifest.takenAt } : null,
        lastVerification: verified
          ? {
              id: verified.manifest.id,
              at: verified.verification!.at,
              restorable: verified.verification!.restorable,
            }
          : null,
      },
    };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
