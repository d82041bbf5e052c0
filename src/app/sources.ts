/**
 * The systems a plan covers, in apply order: the database first (bill types, points and stock must
 * exist before hosts are configured to use them), then the hosts (the product's configuration and
 * service), then the product upgrade of the app hosts to `app.version` (backup, one host at a time).
 */
import { listAudit, writeAudit } from "../db/audit.ts";
import { databaseSource } from "../db/source.ts";
import { hostsSource } from "../hosts/source.ts";
import type { PlanSource } from "../plan/types.ts";
import { upgradeSource } from "../upgrade/source.ts";

export const SOURCES: PlanSource[] = [databaseSource, hostsSource, upgradeSource];

/** Where audit records live: the stack's own database (ebill_ops.apply_audit). */
export const AUDIT = { write: writeAudit, list: listAudit };
