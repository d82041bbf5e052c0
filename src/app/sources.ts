/**
 * The systems a plan covers, in apply order: the database first (bill types, points and stock must
 * exist before hosts are configured to use them), then the hosts. The hosts engineer adds theirs.
 */
import { listAudit, writeAudit } from "../db/audit.ts";
import { databaseSource } from "../db/source.ts";
import { hostsSource } from "../hosts/source.ts";
import type { PlanSource } from "../plan/types.ts";

export const SOURCES: PlanSource[] = [databaseSource, hostsSource];

/** Where audit records live: the stack's own database (ebill_ops.apply_audit). */
export const AUDIT = { write: writeAudit, list: listAudit };
