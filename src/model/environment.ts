/**
 * The environment model: one declaration per hospital environment.
 *
 * This file is the single source of the stack format. The TypeScript types are inferred from these
 * zod schemas and `schemas/environment.schema.json` is generated from them (`ebill-ops generate`),
 * so no type is written twice. Descriptions and defaults live here, next to the shape.
 *
 * Schema checks are about shape (types, formats, safe identifiers). Cross-field domain checks
 * (uniqueness, references, bill-code structure, year-end readiness) are rules in `src/config/rules/`.
 */
import * as z from "zod";
import {
  EXISTING_YEARLY_MOMENT,
  HTTP_URL_START,
  NOT_RESERVED_BY_POSTGRES,
  SAFE_IDENTIFIER,
  SAFE_PATH,
  SECRET_NAME,
  URL_WITHOUT_CREDENTIALS,
} from "./patterns.ts";
import { OS_IDS, unsupportedOsMessage } from "./operating-systems.ts";
import { THRESHOLD_DEFAULTS, Thresholds } from "./thresholds.ts";

// ---------------------------------------------------------------------------------------------
// Building blocks

/** What a secret field wants; the loader never echoes what was found there instead (it may be the secret). */
export const SECRET_REF_EXPECTED =
  'a secret reference such as { secret: "EBILL_DB_PASSWORD" } (secrets are never written into a stack)';

export const SecretRef = z
  .strictObject(
    {
      secret: z
        .string()
        .regex(SECRET_NAME, "a secret name is upper-case letters, digits and _ (e.g. FISCAL_APP_KEY)")
        .describe("Name of the secret, resolved at run time from the environment or .secrets.env"),
    },
    { error: (issue) => (issue.code === "invalid_type" ? SECRET_REF_EXPECTED : undefined) },
  )
  .describe("A reference to a secret. Secrets are never literal values in a stack.");
export type SecretRef = z.infer<typeof SecretRef>;

// A stack's helpers live in compose.ts, which has no zod: a .ts stack is evaluated without
// building these schemas (src/config/evaluate-ts.ts). Kept importable from here as well.
export { defineEnvironment, secret } from "./compose.ts";

const identifier = (what: string) =>
  z
    .string()
    .regex(SAFE_IDENTIFIER, `${what} must be lower-case letters, digits and _ , starting with a letter`)
    .max(63, `${what} is at most 63 characters (PostgreSQL identifier limit)`)
    // PostgreSQL refuses new tablespaces, schemas and roles named pg_*, mid-apply. A pattern, not a
    // refinement, so that the JSON Schema an editor checks with refuses it too.
    .regex(NOT_RESERVED_BY_POSTGRES, `${what} must not start with 'pg_' (reserved by PostgreSQL)`);

const absolutePath = (what: string) =>
  z.string().regex(SAFE_PATH, `${what} must be an absolute path of letters, digits, '/', '_', '-' and '.'`);

const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    "an IPv4 address such as 10.20.1.11",
  );

const hostname = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a host name is lower-case letters, digits and '-'");

const port = z.number().int().min(1).max(65535);

const parsedUrl = (value: string): URL | null => {
  try {
    return new URL(value);
  } catch {
    return null;
  }
};

const httpUrl = z
  .string()
  .max(2048)
  // The scheme and the credentials are patterns so that the generated JSON Schema carries them (an
  // editor then refuses ftp:// as the loader does); the URL parser checks the rest (ports, hosts).
  .regex(HTTP_URL_START, { message: "a well-formed http:// or https:// URL", abort: true })
  .refine((value) => {
    const url = parsedUrl(value);
    return url !== null && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  }, "a well-formed http:// or https:// URL")
  // A password in a URL is a secret in plain text in the repository, the plan and every log.
  .regex(
    URL_WITHOUT_CREDENTIALS,
    "a URL must not carry a user name or password (user:pass@); credentials are secret references",
  );

const year = z.number().int().min(2019).max(2099).describe("A fiscal year, e.g. 2026");

const digits = (n: number, what: string) =>
  z.string().regex(new RegExp(`^\\d{${n}}$`), `${what} is exactly ${n} digits`);

/** Codes of the e-bill system (invoicing points, channels, roles): short, no spaces or quotes. */
const code = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,50}$/, `${what} is 1-50 letters, digits, '_' or '-'`)
    .describe(what);

const displayName = z.string().min(1).max(100);

/** A timeout in whole seconds, 1 to `max`. */
const seconds = (max: number) => z.number().int().min(1).max(max);

// ---------------------------------------------------------------------------------------------
// Hospital, hosts, database

export const Hospital = z.strictObject({
  name: displayName.describe("Full name as on the bills, e.g. 陵水黎族自治县人民医院"),
  agencyCode: z
    .string()
    .regex(/^[A-Za-z0-9]{6,30}$/, "the agency code (单位编码) is 6-30 letters or digits")
    .describe("单位编码: the hospital's code at the fiscal platform"),
  regionCode: digits(6, "the region code (区划)").describe(
    "区划: 6-digit administrative region, Lingshui 469028",
  ),
  fiscalYear: year.describe("The fiscal year in operation"),
});
export type Hospital = z.infer<typeof Hospital>;

export const HOST_ROLES = ["app", "db", "signature", "file", "print-client", "proxy"] as const;
export const HostRole = z.enum(HOST_ROLES);
export type HostRole = z.infer<typeof HostRole>;

export const Host = z.strictObject({
  name: hostname.describe("Inventory name of the host, unique in the stack"),
  address: ipv4.describe("Intranet address"),
  os: z
    .enum(OS_IDS, { error: (issue) => unsupportedOsMessage(issue.input) })
    .describe(
      "Operating system and version, e.g. kylin-v10, centos-7, uos-20, windows. Only systems the Ansible roles " +
        "support are accepted (src/model/operating-systems.ts); Windows hosts are inventoried, not managed.",
    ),
  roles: z.array(HostRole).min(1).describe("What the host does; drives the Ansible groups"),
  ssh: z
    .strictObject({
      user: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "an SSH user name is a POSIX user name")
        .default("ebillops"),
      port: port.default(22),
      hostKey: z
        .string()
        .regex(
          /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/,
          "a host key is '<type> <base64>' as in known_hosts, e.g. 'ssh-ed25519 AAAAC3...'",
        )
        .optional()
        .describe("Pinned public host key; required outside the sandbox"),
    })
    .default({ user: "ebillops", port: 22 })
    .describe("How Ansible reaches the host"),
  description: z.string().max(200).optional(),
});
export type Host = z.infer<typeof Host>;

export const Database = z.strictObject({
  engine: z
    .enum(["postgresql", "kingbase", "opengauss"])
    .describe("PostgreSQL wire-protocol family: PostgreSQL, KingbaseES, openGauss"),
  host: z.union([ipv4, z.literal("localhost")]).describe("Address the tool connects to"),
  port: port.default(5432),
  name: identifier("the database name"),
  schema: identifier("the schema name").default("ebill").describe("Schema holding the e-bill tables"),
  user: identifier("the database user"),
  password: SecretRef,
  sslMode: z.enum(["disable", "prefer", "require", "verify-full"]).default("prefer"),
  timeouts: z
    .strictObject({
      connect: seconds(60).default(5).describe("Seconds to wait for the server to accept a connection"),
      lock: seconds(600)
        .default(15)
        .describe("Seconds an apply waits for a row or table lock held by the running product"),
      statement: seconds(3600)
        .default(60)
        .describe("Seconds one statement may run; also how long the tool waits for any answer"),
      idleInTransaction: seconds(3600)
        .default(60)
        .describe("Seconds the server keeps an apply's transaction open while the tool says nothing"),
    })
    .default({ connect: 5, lock: 15, statement: 60, idleInTransaction: 60 })
    .describe(
      "Timeouts of the tool's database sessions: a frozen or stuck server ends an apply with a message instead of hanging it (and its lock) for ever",
    ),
});
export type Database = z.infer<typeof Database>;

// ---------------------------------------------------------------------------------------------
// Yearly storage

export const Tablespace = z.strictObject({
  name: identifier("the tablespace name").describe("e.g. ebill_2026"),
  year,
  location: absolutePath("the tablespace location").describe("Directory on the database host"),
});
export type Tablespace = z.infer<typeof Tablespace>;

/** The bill tables of the product that are partitioned by year (see src/db/reference-schema.ts). */
export const PARTITIONED_TABLES = ["bill", "bill_detail"] as const;

export const Partition = z.strictObject({
  table: z.enum(PARTITIONED_TABLES).describe("Partitioned bill table"),
  year,
  tablespace: identifier("the tablespace name").describe("Tablespace the partition is placed in"),
});
export type Partition = z.infer<typeof Partition>;

// ---------------------------------------------------------------------------------------------
// Application and interfaces

export const App = z.strictObject({
  version: z.string().regex(/^\d+\.\d+(\.\d+)*([-.][A-Za-z0-9]+)*$/, "a version such as 1.0.3"),
  port: port.default(8081).describe("HTTP port of the e-bill service (seen 8081, 7002, 17001)"),
  contextPath: z
    .string()
    .regex(/^\/[a-z0-9-]+$/, "a context path such as /medical-web")
    .default("/medical-web"),
  installDir: absolutePath("the install directory").default("/opt/ebill"),
  jvm: z
    .strictObject({
      heapMin: z
        .string()
        .regex(/^\d+[mg]$/, "a heap size such as 512m or 2g")
        .default("1g"),
      heapMax: z
        .string()
        .regex(/^\d+[mg]$/, "a heap size such as 512m or 2g")
        .default("2g"),
    })
    .default({ heapMin: "1g", heapMax: "2g" }),
});
export type App = z.infer<typeof App>;

const timeoutMs = z.number().int().min(1000).max(300_000).default(30_000).describe("Timeout in ms");

export const PUSH_CHANNELS = ["sms", "email", "wechat", "alipay"] as const;

export const Interfaces = z.strictObject({
  his: z
    .strictObject({
      name: displayName.describe("院方业务系统 vendor/product"),
      url: httpUrl.describe("Where the HIS is reached (for probes)"),
      timeoutMs,
    })
    .describe("HIS (院方业务系统)"),
  fiscal: z
    .strictObject({
      url: httpUrl.describe("财政电子票据平台 endpoint"),
      appId: z
        .string()
        .regex(/^[A-Z0-9]{4,40}$/, "an appid is upper-case letters and digits, e.g. LSRMYY1234567")
        .describe("appid issued by the fiscal platform"),
      appKey: SecretRef.describe("The app key used to sign requests"),
      specVersion: z.string().regex(/^V\d+\.\d+\.\d+$/, "a spec version such as V3.2.0"),
      timeoutMs,
    })
    .describe("Provincial fiscal e-bill platform (财政电子票据平台)"),
  push: z
    .strictObject({
      url: httpUrl,
      channels: z.array(z.enum(PUSH_CHANNELS)).describe("票据推送: sms (1201), email (1202), wechat, alipay"),
      timeoutMs,
    })
    .optional()
    .describe("Bill push service (票据推送)"),
  signature: z
    .strictObject({
      host: hostname.describe("Host (role signature) of the signature server appliance"),
      port: port,
      certificateWarnDays: z.number().int().min(1).max(365).default(30),
    })
    .describe("Signature server (签名服务器); probed, never configured"),
  fileServer: z
    .strictObject({
      host: hostname.describe("Host (role file) holding the archive"),
      archiveRoot: absolutePath("the archive root").default("/data/ebill/archive"),
      minFreePercent: z.number().min(1).max(90).default(15),
    })
    .describe("File server (归档)"),
});
export type Interfaces = z.infer<typeof Interfaces>;

// ---------------------------------------------------------------------------------------------
// Basic information (基础信息) held in the e-bill database

export const BILL_KINDS = [
  "outpatient",
  "inpatient",
  "registration",
  "checkup",
  "deposit",
  "general",
] as const;

export const BillType = z.strictObject({
  code: digits(8, "a bill code (票据代码)").describe(
    "票据代码: region(2) + category(2) + type(2) + year(2), e.g. 46060126",
  ),
  name: displayName.describe("e.g. 海南省医疗门诊收费票据（电子）"),
  kind: z.enum(BILL_KINDS),
  year,
  enabled: z.boolean().default(true),
  example: z
    .boolean()
    .default(false)
    .describe("True while the code is a placeholder: only the fiscal platform issues real codes"),
});
export type BillType = z.infer<typeof BillType>;

export const PrintTemplate = z.strictObject({
  billCode: digits(8, "a bill code").describe("Bill type the template prints (its code carries the year)"),
  name: displayName,
  version: z.string().regex(/^[A-Za-z0-9._-]{1,30}$/, "a template version such as 2026.1"),
  paper: z.string().regex(/^[A-Za-z0-9x]{1,20}$/, "a paper size such as A4, A5 or 241x140"),
});
export type PrintTemplate = z.infer<typeof PrintTemplate>;

export const InvoicingPoint = z.strictObject({
  code: code("开票点 code (placeCode), e.g. 001; 00000 for a self-service kiosk"),
  name: displayName,
  enabled: z.boolean().default(true),
  billCodes: z.array(digits(8, "a bill code")).describe("Bill types this point may issue"),
});
export type InvoicingPoint = z.infer<typeof InvoicingPoint>;

export const CHANNEL_KINDS = ["cash", "wechat", "alipay", "bank-card", "medical-insurance", "other"] as const;

export const PaymentChannel = z.strictObject({
  code: code("缴费渠道 code (payChannelCode), e.g. 02"),
  name: displayName,
  kind: z.enum(CHANNEL_KINDS),
  enabled: z.boolean().default(true),
});
export type PaymentChannel = z.infer<typeof PaymentChannel>;

export const MAPPING_SYSTEMS = ["his", "fiscal", "push"] as const;
export const MAPPING_KINDS = ["place", "channel", "department", "charge-item"] as const;

export const CodeMapping = z.strictObject({
  system: z.enum(MAPPING_SYSTEMS).describe("The other side of the mapping"),
  kind: z.enum(MAPPING_KINDS),
  local: code("local code"),
  remote: code("the other system's code"),
  remoteName: displayName.optional(),
});
export type CodeMapping = z.infer<typeof CodeMapping>;

export const BillStock = z.strictObject({
  billCode: digits(8, "a bill code"),
  batch: z.string().regex(/^[A-Za-z0-9-]{1,30}$/, "a batch is 1-30 letters, digits or '-'"),
  first: digits(10, "a bill number (票据号码)"),
  last: digits(10, "a bill number (票据号码)"),
  place: code("invoicing point the range is distributed to (下发)"),
  purpose: z
    .enum(["issue", "exchange"])
    .default("issue")
    .describe("issue: normal issuing; exchange: pre-distributed for exchanging old bills (旧票回收)"),
});
export type BillStock = z.infer<typeof BillStock>;

export const Role = z.strictObject({
  code: code("role code"),
  name: displayName,
  permissions: z
    .array(z.string().regex(/^[a-z][a-z0-9_.:-]{0,62}$/, "a permission such as bill.issue"))
    .describe("Permission codes of the product"),
});
export type Role = z.infer<typeof Role>;

export const Operator = z.strictObject({
  account: code("operator login account"),
  name: displayName,
  roles: z.array(z.string()).min(1),
  places: z.array(z.string()).default([]).describe("Invoicing points the operator works at"),
  enabled: z.boolean().default(true),
});
export type Operator = z.infer<typeof Operator>;

// ---------------------------------------------------------------------------------------------
// Hosts' software and operations policy

export const PrintComponent = z.strictObject({
  host: hostname.describe("Host with the print-client role"),
  version: z.string().regex(/^\d+\.\d+(\.\d+)*$/, "a version such as 3.2.1"),
  printer: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a CUPS-style printer name, e.g. EPSON_LQ-630K"),
  paper: z.string().regex(/^[A-Za-z0-9x]{1,20}$/, "a paper size such as A5 or 241x140"),
  template: digits(8, "the bill code whose template is printed"),
});
export type PrintComponent = z.infer<typeof PrintComponent>;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time HH:MM");

/** A moment of every year, MM-DDTHH:MM, that exists on the calendar (not 02-30, not 24:00). */
const yearlyMoment = (example: string) =>
  z
    .string()
    .regex(/^\d{2}-\d{2}T\d{2}:\d{2}$/, `MM-DDTHH:MM, e.g. ${example}`)
    .regex(
      EXISTING_YEARLY_MOMENT,
      `a date and time that exists: month 01-12, a day of that month, hour 00-23, minute 00-59 (e.g. ${example})`,
    );

let canonicalZones: Set<string> | undefined;

/**
 * An IANA time zone this Node.js knows (Asia/Shanghai); a typo would break every change-window check.
 * The canonical names are looked up in ICU's list (3 ms); only another name (an alias such as
 * Asia/Chongqing, or UTC) builds a formatter, whose first construction loads ICU's calendar data,
 * 20 ms that a `plan` never needs otherwise.
 */
export function isKnownTimeZone(zone: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  if (canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/**
 * The time zone database is the runtime's, which no pattern can hold: the JSON Schema names the
 * check as a format (`iana-time-zone`) that a validator registers with isKnownTimeZone.
 */
export const TIME_ZONE_FORMAT = "iana-time-zone";
const timeZone = z
  .string()
  .refine(isKnownTimeZone, "a known IANA time zone such as Asia/Shanghai")
  .meta({ format: TIME_ZONE_FORMAT });
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

// ---------------------------------------------------------------------------------------------
// Health checks: services to watch and where alerts go (src/checks, docs/inspection.md)

const serviceNames = z
  .array(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/, "a service name such as postgresql or kingbase8d"),
  )
  .optional();

/** Per host role, the services (systemd units) that must be active; the e-bill service is always watched. */
export const WatchedServices = z
  .strictObject({
    app: serviceNames,
    db: serviceNames,
    signature: serviceNames,
    file: serviceNames,
    "print-client": serviceNames,
    proxy: serviceNames,
  })
  .describe(
    "Services that must be active on the hosts of each role, e.g. { db: ['postgresql'] } where the database " +
      "runs on the db host; the e-bill service on app hosts is always checked",
  );

const webhookName = displayName.describe("Shown in logs and errors, e.g. 信息科运维群; unique in the stack");

export const WeComWebhook = z.strictObject({
  kind: z.literal("wecom").describe("企业微信 group robot: a markdown message"),
  name: webhookName,
  url: httpUrl
    .default("https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    .describe("The robot's address without ?key="),
  key: SecretRef.describe("The robot's key (the key=... of its webhook address)"),
});

export const DingTalkWebhook = z.strictObject({
  kind: z
    .literal("dingtalk")
    .describe("钉钉 group robot: a markdown message, signed when the robot asks for it"),
  name: webhookName,
  url: httpUrl
    .default("https://oapi.dingtalk.com/robot/send")
    .describe("The robot's address without ?access_token="),
  accessToken: SecretRef.describe("The robot's access_token"),
  secret: SecretRef.optional().describe(
    "The robot's signing secret (SEC...), when its security setting is 加签",
  ),
});

export const JsonWebhook = z.strictObject({
  kind: z.literal("json").describe("Generic JSON POST (an alerting gateway, a ticket system)"),
  name: webhookName,
  url: httpUrl,
  token: SecretRef.optional().describe("Sent as 'Authorization: Bearer <token>' when set"),
});

export const Webhook = z.discriminatedUnion("kind", [WeComWebhook, DingTalkWebhook, JsonWebhook]);
export type Webhook = z.infer<typeof Webhook>;

// ---------------------------------------------------------------------------------------------
// Backups (src/backup, docs/backups-upgrades.md)

export const Backup = z
  .strictObject({
    host: hostname.describe("Host that keeps the backups (its directory below); a managed host of the stack"),
    directory: absolutePath("the backup directory")
      .default("/var/backups/ebill")
      .describe("Directory on that host; one sub-folder per backup"),
    time: clock.default("02:30").describe("When the scheduled backup runs each day, host local time"),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(14)
      .describe("Backups older than this are deleted by the scheduled job (the newest verified one is kept)"),
    archive: z
      .boolean()
      .default(true)
      .describe("Also copy the archive files (interfaces.fileServer.archiveRoot on the file host)"),
    recentDays: z
      .number()
      .int()
      .min(1)
      .max(366)
      .default(7)
      .describe("Verify compares a checksum of the bills issued in this many days before the backup"),
    maxAgeHours: z
      .number()
      .min(1)
      .max(24 * 31)
      .default(26)
      .describe("Inspection warns when the latest backup is older (twice as old: fail)"),
  })
  .describe("Database dumps and archive-file copies: when, where, how long kept");
export type Backup = z.infer<typeof Backup>;

export const Maintenance = z.strictObject({
  timezone: timeZone.default("Asia/Shanghai"),
  changeWindows: z
    .array(
      z.strictObject({
        days: z.array(z.enum(WEEKDAYS)).min(1),
        start: clock,
        end: clock.describe("May be earlier than start: the window runs past midnight"),
      }),
    )
    .default([])
    .describe("When changes may be applied to production; empty means any time"),
  freezes: z
    .array(
      z.strictObject({
        from: yearlyMoment("12-31T18:00"),
        to: yearlyMoment("01-01T08:00"),
        reason: z.string().min(1),
      }),
    )
    .default([])
    .describe("Yearly periods with no changes (the night of 31 December)"),
  patch: z
    .strictObject({
      batchSize: z.number().int().min(1).default(1),
      healthChecks: z.array(z.enum(["disk", "service", "port"])).default(["disk", "service"]),
      minFreeDiskPercent: z.number().min(1).max(90).default(10),
      rebootAllowed: z.boolean().default(true),
    })
    .default({
      batchSize: 1,
      healthChecks: ["disk", "service"],
      minFreeDiskPercent: 10,
      rebootAllowed: true,
    }),
  inspection: z
    .strictObject({ months: z.array(z.number().int().min(1).max(12)).default([3, 6, 9, 12]) })
    .default({ months: [3, 6, 9, 12] })
    .describe("Quarterly inspection (巡检) months"),
  stockSafetyMargin: z
    .number()
    .min(1)
    .max(5)
    .default(1.3)
    .describe("Year-end stock sizing: next year's range = last year's usage x this margin"),
  thresholds: Thresholds.default(THRESHOLD_DEFAULTS).describe(
    "Limits of the health checks (inspect, monitor); each defaults as documented in docs/inspection.md",
  ),
  services: WatchedServices.default({}),
  notifications: z
    .array(Webhook)
    .default([])
    .refine(
      (hooks) => new Set(hooks.map((h) => h.name)).size === hooks.length,
      "two notifications have the same name; give each webhook its own name",
    )
    .describe("Where 'ebill-ops monitor --notify' sends a message when a check changes state"),
  ntpServers: z
    .array(
      z
        .string()
        .regex(
          /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/,
          "an NTP server is a host name or IPv4 address, e.g. ntp.ntsc.ac.cn",
        ),
    )
    .min(1)
    .optional()
    .describe(
      "Time servers every host follows (bill signatures carry the time); without it, the baseline role's defaults",
    ),
  backup: Backup.optional().describe("Backups (backup run|list|verify, the ebill_backup role)"),
});
export type Maintenance = z.infer<typeof Maintenance>;

// ---------------------------------------------------------------------------------------------
// The environment

export const Environment = z
  .strictObject({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a stack name is lower-case letters, digits and '-'")
      .describe("Stack name, e.g. lingshui-prod"),
    kind: z
      .enum(["production", "test", "sandbox"])
      .describe("Production stacks get approvals and change windows"),
    hospital: Hospital,
    hosts: z.array(Host).min(1),
    database: Database,
    tablespaces: z.array(Tablespace).optional().describe("Yearly tablespaces (owned whole when declared)"),
    partitions: z.array(Partition).optional().describe("Yearly partitions of the bill tables"),
    app: App,
    interfaces: Interfaces,
    billTypes: z.array(BillType).optional().describe("票据种类 per year"),
    printTemplates: z.array(PrintTemplate).optional().describe("打印模板 per bill type"),
    invoicingPoints: z.array(InvoicingPoint).optional().describe("开票点"),
    paymentChannels: z.array(PaymentChannel).optional().describe("缴费渠道"),
    codeMappings: z.array(CodeMapping).optional().describe("接口对照"),
    billStock: z.array(BillStock).optional().describe("票据号段 distributed to invoicing points"),
    roles: z.array(Role).optional().describe("角色与权限"),
    operators: z.array(Operator).optional().describe("操作员"),
    printComponents: z.array(PrintComponent).optional().describe("打印组件 on print-client hosts"),
    maintenance: Maintenance.default({
      timezone: "Asia/Shanghai",
      changeWindows: [],
      freezes: [],
      patch: { batchSize: 1, healthChecks: ["disk", "service"], minFreeDiskPercent: 10, rebootAllowed: true },
      inspection: { months: [3, 6, 9, 12] },
      stockSafetyMargin: 1.3,
      thresholds: THRESHOLD_DEFAULTS,
      services: {},
      notifications: [],
    }),
  })
  .describe("One hospital environment of the medical e-bill system (医疗电子票据管理系统)");

/** A validated environment, defaults filled in. */
export type Environment = z.infer<typeof Environment>;
/** What a stack file holds: defaults may be left out. */
export type EnvironmentInput = z.input<typeof Environment>;

/** The kinds of database objects, in the order they are created (dependencies first). */
export const DATABASE_KINDS = [
  "tablespaces",
  "partitions",
  "billTypes",
  "printTemplates",
  "invoicingPoints",
  "paymentChannels",
  "codeMappings",
  "billStock",
  "roles",
  "operators",
] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];
