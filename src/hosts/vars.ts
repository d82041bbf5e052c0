/**
 * The stack's declaration as Ansible variables for the roles in tasks/ansible/roles. Pure
 * functions: the declaration in, role variables out (names prefixed with the role, as each
 * role's defaults/main.yml documents). Secrets are kept apart: they go to a separate extra-vars
 * file that lives only for one run.
 */
import type { Environment, HostRole } from "../model/environment.ts";
import { resolveSecret } from "../config/secrets.ts";
import type { HostsConnection } from "./connection.ts";

/** Inbound TCP ports each role needs (SSH is always open). */
export function firewallPorts(env: Environment, roles: readonly HostRole[]): number[] {
  const ports = new Set<number>();
  for (const role of roles) {
    if (role === "app") ports.add(env.app.port);
    if (role === "db") ports.add(env.database.port);
    if (role === "proxy") [80, 443].forEach((p) => ports.add(p));
    if (role === "signature") ports.add(env.interfaces.signature.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Years the stack knows about: the fiscal year in operation and every declared tablespace year. */
export function declaredYears(env: Environment): number[] {
  const years = new Set<number>([env.hospital.fiscalYear]);
  for (const t of env.tablespaces ?? []) years.add(t.year);
  return [...years].sort((a, b) => a - b);
}

export function hostVars(
  env: Environment,
  connection: Pick<HostsConnection, "serviceManager" | "testHosts">,
): Record<string, unknown> {
  const { app, interfaces, database } = env;
  const signatureHost = env.hosts.find((h) => h.name === interfaces.signature.host);
  return {
    ebill_service_manager: connection.serviceManager,
    ...(env.maintenance.ntpServers ? { baseline_ntp_servers: env.maintenance.ntpServers } : {}),
    ebill_firewall_tcp_ports_by_host: Object.fromEntries(
      env.hosts.map((h) => [h.name, firewallPorts(env, h.roles)]),
    ),

    // Only the test hosts' stand-in takes a version, once, when first installed: what a host runs is
    // its package's version, the upgrade's business (docs/backups-upgrades.md), never configuration.
    ...(connection.testHosts ? { ebill_app_stub_version: app.version } : {}),
    ebill_app_port: app.port,
    ebill_app_context_path: app.contextPath,
    ebill_app_install_dir: app.installDir,
    ebill_app_heap_min: app.jvm.heapMin,
    ebill_app_heap_max: app.jvm.heapMax,
    ebill_app_stub: connection.testHosts,
    ebill_app_his_name: interfaces.his.name,
    ebill_app_his_url: interfaces.his.url,
    ebill_app_his_timeout_ms: interfaces.his.timeoutMs,
    ebill_app_fiscal_url: interfaces.fiscal.url,
    ebill_app_fiscal_app_id: interfaces.fiscal.appId,
    ebill_app_fiscal_spec_version: interfaces.fiscal.specVersion,
    ebill_app_fiscal_timeout_ms: interfaces.fiscal.timeoutMs,
    ebill_app_push_url: interfaces.push?.url ?? "",
    ebill_app_push_channels: interfaces.push?.channels ?? [],
    ebill_app_push_timeout_ms: interfaces.push?.timeoutMs ?? 30000,
    ebill_app_db_url: `jdbc:postgresql://${database.host}:${database.port}/${database.name}?currentSchema=${database.schema}`,
    ebill_app_db_user: database.user,

    ebill_db_host_tablespaces: (env.tablespaces ?? []).map((t) => ({
      name: t.name,
      year: t.year,
      location: t.location,
    })),
    ebill_db_host_create_owner: connection.testHosts,

    ebill_file_server_archive_root: interfaces.fileServer.archiveRoot,
    ebill_file_server_years: declaredYears(env),
    ebill_file_server_min_free_percent: interfaces.fileServer.minFreePercent,

    print_component_components: env.printComponents ?? [],

    signature_probe_host: signatureHost?.address ?? interfaces.signature.host,
    signature_probe_port: interfaces.signature.port,
    signature_probe_warn_days: interfaces.signature.certificateWarnDays,

    ...backupVars(env),

    patch_health_checks: env.maintenance.patch.healthChecks,
    patch_min_free_disk_percent: env.maintenance.patch.minFreeDiskPercent,
    patch_reboot_allowed: env.maintenance.patch.rebootAllowed,
  };
}

/** The ebill_backup role's variables; none when the stack declares no backups. */
function backupVars(env: Environment): Record<string, unknown> {
  const backup = env.maintenance.backup;
  if (!backup) return {};
  const fileHost = env.hosts.find((h) => h.name === env.interfaces.fileServer.host);
  return {
    ebill_backup_host: backup.host,
    ebill_backup_stack: env.name,
    ebill_backup_directory: backup.directory,
    ebill_backup_time: backup.time,
    ebill_backup_retention_days: backup.retentionDays,
    ebill_backup_archive: backup.archive,
    ebill_backup_archive_root: env.interfaces.fileServer.archiveRoot,
    ebill_backup_archive_source:
      fileHost && fileHost.name !== backup.host ? `${fileHost.ssh.user}@${fileHost.address}` : "",
    ebill_backup_db_engine: env.database.engine,
    ebill_backup_db_host: env.database.host,
    ebill_backup_db_port: env.database.port,
    ebill_backup_db_name: env.database.name,
    ebill_backup_db_user: env.database.user,
  };
}

/** The secret role variables and the secret each comes from. */
export const SECRET_VARS = {
  ebill_app_fiscal_app_key: (env: Environment) => env.interfaces.fiscal.appKey,
  ebill_app_db_password: (env: Environment) => env.database.password,
  ebill_backup_db_password: (env: Environment) => env.database.password,
} as const;

/** Resolves the secrets the roles need; throws naming the unset secret and how to set it. */
export function secretVars(env: Environment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SECRET_VARS).map(([name, ref]) => [name, resolveSecret(ref(env))]),
  );
}
