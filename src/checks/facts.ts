/**
 * The facts the health checks judge, one part per collector (src/checks/collect-*.ts): what one
 * Ansible run over every host returned, what a constant number of database round trips returned,
 * and one probe per interface. Plain data (JSON-safe), so a check is a pure function of it and a
 * test can write facts by hand.
 */
import type { DiskSpace, ProbeResult } from "../probe/probe.ts";
import type { Collected } from "./types.ts";

/** A section of the host module's answer (tasks/ansible/roles/health_facts/library): a value, or why not. */
export type Section<T> = T | { error: string };

export const sectionError = (s: unknown): string | undefined =>
  s !== null && typeof s === "object" && "error" in s ? String((s as { error: unknown }).error) : undefined;

export interface MountFacts {
  mount: string;
  device: string;
  fstype: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  inodes: number | null;
  inodesUsed: number | null;
}

export interface HostHealth {
  quick: boolean;
  load: Section<{ load1: number; load5: number; load15: number; cores: number }>;
  memory: Section<{
    totalBytes: number;
    availableBytes: number;
    swapTotalBytes: number;
    swapFreeBytes: number;
  }>;
  mounts: Section<MountFacts[]>;
  clock: Section<{
    hostTime: number;
    offsetFromController?: number;
    chrony?: { source: string; stratum: number; offset: number };
    chronyError?: string;
  }>;
  sshd: Section<{ expected: Record<string, string>; actual: Record<string, string | null> }>;
  services: Section<{ name: string; active: boolean; how: string; detail: string }>[];
  appHealth?: Section<{ url: string; status: number | null; ms: number; body?: string; failure?: string }>;
  appLog?: Section<{ dir: string; files: string[]; errors: number; samples: string[]; hours: number }>;
  signature?: Section<{
    address: string;
    port: number;
    reachable: boolean;
    failure?: string;
    connectMs?: number;
    handshakeMs?: number;
    tlsError?: string;
    notAfter?: string;
    notAfterEpoch?: number;
    subject?: string;
  }>;
  securityUpdates?: Section<{ count: number; packages: string[] }>;
  rebootRequired?: Section<{ required: boolean }>;
  failedLogins?: Section<{ count: number; source: string; hours: number }>;
}

export interface HostFacts {
  name: string;
  address: string;
  roles: string[];
  /** False: Ansible could not reach it or the task failed; `reason` says what it said. */
  answered: boolean;
  reason?: string;
  health?: HostHealth;
  /** When the controller had every host's answer (epoch seconds): bounds the clock comparison. */
  answeredBy?: number;
}

export interface HostsFacts {
  hosts: HostFacts[];
  /** Hosts of the stack not configured over SSH (signature appliances, Windows PCs), not inspected. */
  notManaged: string[];
  seconds: number;
}

export interface SessionFacts {
  pid: number;
  user: string | null;
  application: string;
  client: string | null;
  state: string | null;
  /** Seconds since its transaction began (null: no transaction). */
  transactionSeconds: number | null;
  /** Seconds since its state last changed (how long it has been idle in a transaction). */
  stateSeconds: number | null;
  waitingForLock: boolean;
  /** Seconds since its current statement began (how long a lock wait has lasted at most). */
  statementSeconds: number | null;
}

export interface TableStats {
  name: string;
  liveRows: number;
  deadRows: number;
  modifiedSinceAnalyze: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
}

export interface TablespaceFacts {
  name: string;
  /** Where PostgreSQL keeps it; the data directory for pg_default (null when not readable). */
  location: string | null;
  sizeBytes: number | null;
  /** Free space of its disk, measured here when the database runs on this machine. */
  disk?: DiskSpace | null;
}

export interface BusinessFacts {
  billTypes: { code: string; year: number; enabled: boolean }[];
  points: { code: string; name: string; enabled: boolean }[];
  /** Bills of the last 30 days per point and bill code (voided among them). */
  recent: { place: string; billCode: string; count: number; voided: number }[];
  /** Bills in the 24 hours before now, and in the 28 days before those. */
  lastDay: number;
  previous28Days: number;
  stock: {
    place: string;
    billCode: string;
    batch: string;
    first: string;
    last: string;
    purpose: string;
    enabled: boolean;
    used: number;
  }[];
  /** Bills per day over the inspected quarter (full inspections only). */
  daily?: { day: string; count: number }[];
  /**
   * Bills not yet archived / pushed and the issue time (local) of the oldest; absent when the
   * product schema records no such state.
   */
  delivery?: {
    archiveOpen: number;
    archiveOldest: string | null;
    pushOpen: number;
    pushOldest: string | null;
  };
}

export interface DatabaseFacts {
  version: string;
  database: string;
  sizeBytes: number;
  dataDirectory: string | null;
  tablespaces: TablespaceFacts[];
  connections: { used: number; max: number; reserved: number };
  /** Other sessions with an open transaction or waiting for a lock. */
  sessions: SessionFacts[];
  /** Sessions of other users whose state this account may not see (it needs pg_monitor). */
  invisibleSessions: number;
  tables: TableStats[];
  xid: { database: string; age: number };
  partitions: { table: string; partition: string; years: number[] }[];
  business: Collected<BusinessFacts>;
  /** Statements sent (the benchmark holds it constant whatever the number of tables). */
  roundTrips: number;
}

export interface InterfaceFacts {
  probes: ProbeResult[];
}

/** Sizes at the previous inspection in the repository: the basis of growth rates and trends. */
export interface PreviousSizes {
  /** When the previous inspection ran (ISO time). */
  at: string;
  quarter: string;
  tablespaces: { name: string; sizeBytes: number | null }[];
}

/** The stack's backups (src/checks/collect-backups.ts). */
export interface BackupFacts {
  latest: { id: string; takenAt: string } | null;
  /** The newest backup that was verified, and how it came out. */
  lastVerification: { id: string; at: string; restorable: boolean } | null;
}

/** Everything one run gathered. */
export interface HealthFacts {
  hosts: Collected<HostsFacts>;
  database: Collected<DatabaseFacts>;
  interfaces: Collected<InterfaceFacts>;
  /** Absent when the stack declares no backups (maintenance.backup). */
  backups?: Collected<BackupFacts>;
}
