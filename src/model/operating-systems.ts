/**
 * The operating systems a host may declare (`hosts[].os`), each named by distribution and version,
 * because the Ansible roles differ by family and sometimes by version (CentOS 7 has yum and a
 * pam_faillock without faillock.conf). Only systems the roles in tasks/ansible/roles handle are
 * listed: validation refuses anything else and names these. docs/hosts.md says how each is tested.
 */

/** The OS families the roles have variables for (tasks/ansible/roles/<role>/vars/<family>.yml). */
export type OsFamily = "Debian" | "RedHat" | "Windows";

export interface OperatingSystem {
  /** Ansible's `ansible_os_family` on such a host; the roles load `vars/<family>.yml`. */
  family: OsFamily;
  /** What a person calls it. */
  name: string;
  /** False: declared and inventoried, never configured over SSH (Windows cashier PCs). */
  managed: boolean;
}

export const OPERATING_SYSTEMS = {
  "debian-12": { family: "Debian", name: "Debian 12 (bookworm)", managed: true },
  "ubuntu-22.04": { family: "Debian", name: "Ubuntu 22.04 LTS", managed: true },
  "uos-20": {
    family: "Debian",
    name: "统信 UOS 20 (desktop, and the Debian-based server editions 'a')",
    managed: true,
  },
  "kylin-v10": {
    family: "RedHat",
    name: "银河麒麟高级服务器操作系统 V10 (Kylin Linux Advanced Server)",
    managed: true,
  },
  "centos-7": { family: "RedHat", name: "CentOS 7 (yum; needs python3 installed)", managed: true },
  "centos-8": { family: "RedHat", name: "CentOS 8", managed: true },
  "openeuler-22.03": { family: "RedHat", name: "openEuler 22.03 LTS", managed: true },
  windows: { family: "Windows", name: "Windows", managed: false },
} as const satisfies Record<string, OperatingSystem>;

export type OsId = keyof typeof OPERATING_SYSTEMS;

export const OS_IDS = Object.keys(OPERATING_SYSTEMS) as [OsId, ...OsId[]];

/** The family of a declared OS (what the inventory tells the roles to expect). */
export function osFamily(os: OsId): OsFamily {
  return OPERATING_SYSTEMS[os].family;
}

/** Whether Ansible configures hosts running this OS over SSH. */
export function osManaged(os: OsId): boolean {
  return OPERATING_SYSTEMS[os].managed;
}

/**
 * Refusal of an unsupported `os` value: names every supported system and, for a bare distribution
 * name as older stacks wrote it ("kylin"), the versioned names to choose from.
 */
export function unsupportedOsMessage(value: unknown): string {
  const given = typeof value === "string" ? value : JSON.stringify(value);
  const sameDistribution = OS_IDS.filter((id) => typeof value === "string" && id.startsWith(`${value}-`));
  const hint =
    sameDistribution.length > 0
      ? ` Name the version: ${sameDistribution.map((id) => `'${id}'`).join(" or ")}.`
      : "";
  return (
    `'${given}' is not an operating system the roles support.${hint} Supported: ` +
    OS_IDS.map((id) => `${id} (${OPERATING_SYSTEMS[id].name})`).join(", ") +
    ". Another system needs role variables for it in tasks/ansible (docs/hosts.md)."
  );
}
