import type { HostRole } from "../../model/environment.ts";
import type { PartialEnvironment } from "../partial.ts";
import type { Finding, RuleContext } from "./index.ts";

/**
 * Every name used in one part must be declared in the part it points to; a dangling reference
 * would otherwise surface as a foreign-key error in the middle of an apply.
 *
 * Runs on partly invalid stacks too: each check needs only the parts it reads, and a name is not
 * reported missing from a list the schema refused elements of (that element may declare it).
 */
/** Reports a reference to `value`, which `where` does not declare. */
type Missing = (path: string, what: string, value: string, where: string) => void;

export function referencesResolve(env: PartialEnvironment, context?: Pick<RuleContext, "broken">): Finding[] {
  const findings: Finding[] = [];
  const missing: Missing = (path, what, value, where) => {
    // A section the schema refused is not there to look in: its own error says so already.
    if (!context?.broken?.has(where))
      findings.push({ path, message: `${what} '${value}' is not declared in ${where}` });
  };
  hostReferences(env, context, findings, missing);
  codeReferences(env, missing);
  return findings;
}

/** The database, the signature and file servers and the print clients are declared hosts of their role. */
function hostReferences(
  env: PartialEnvironment,
  context: Pick<RuleContext, "broken"> | undefined,
  findings: Finding[],
  missing: Missing,
): void {
  const hosts = new Map((env.hosts ?? []).map((h) => [h.name, h]));
  const hostWithRole = (path: string, name: string, role: HostRole) => {
    const host = hosts.get(name);
    if (!host) missing(path, "host", name, "hosts");
    else if (!host.roles.includes(role))
      findings.push({
        path,
        message: `host '${name}' must have the '${role}' role (it has ${host.roles.join(", ")})`,
      });
  };
  // The sandbox database runs on this machine; elsewhere it must be one of the declared db hosts,
  // so tablespace directories are prepared on the machine that really holds the data.
  const database = env.database;
  if (
    env.kind !== undefined &&
    env.kind !== "sandbox" &&
    database &&
    env.hosts &&
    !context?.broken?.has("hosts") &&
    !env.hosts.some((h) => h.address === database.host && h.roles.includes("db"))
  )
    findings.push({
      path: "database.host",
      message: `database address ${database.host} is not the address of a host with the 'db' role`,
    });
  if (env.interfaces) {
    hostWithRole("interfaces.signature.host", env.interfaces.signature.host, "signature");
    hostWithRole("interfaces.fileServer.host", env.interfaces.fileServer.host, "file");
  }
  env.printComponents?.forEach((c, i) => hostWithRole(`printComponents[${i}].host`, c.host, "print-client"));
}

/** Bill types, invoicing points, channels, roles and tablespaces named anywhere are declared. */
function codeReferences(env: PartialEnvironment, missing: Missing): void {
  const billCodes = new Set((env.billTypes ?? []).map((b) => b.code));
  const places = new Set((env.invoicingPoints ?? []).map((p) => p.code));
  const channels = new Set((env.paymentChannels ?? []).map((c) => c.code));
  const roles = new Set((env.roles ?? []).map((r) => r.code));
  const tablespaces = new Set((env.tablespaces ?? []).map((t) => t.name));

  env.partitions?.forEach((p, i) => {
    if (!tablespaces.has(p.tablespace))
      missing(`partitions[${i}].tablespace`, "tablespace", p.tablespace, "tablespaces");
  });
  env.printTemplates?.forEach((t, i) => {
    if (!billCodes.has(t.billCode))
      missing(`printTemplates[${i}].billCode`, "bill type", t.billCode, "billTypes");
  });
  env.invoicingPoints?.forEach((p, i) =>
    p.billCodes.forEach((code, j) => {
      if (!billCodes.has(code))
        missing(`invoicingPoints[${i}].billCodes[${j}]`, "bill type", code, "billTypes");
    }),
  );
  env.billStock?.forEach((s, i) => {
    if (!billCodes.has(s.billCode)) missing(`billStock[${i}].billCode`, "bill type", s.billCode, "billTypes");
    if (!places.has(s.place)) missing(`billStock[${i}].place`, "invoicing point", s.place, "invoicingPoints");
  });
  env.operators?.forEach((o, i) => {
    o.roles.forEach((r, j) => {
      if (!roles.has(r)) missing(`operators[${i}].roles[${j}]`, "role", r, "roles");
    });
    o.places.forEach((p, j) => {
      if (!places.has(p)) missing(`operators[${i}].places[${j}]`, "invoicing point", p, "invoicingPoints");
    });
  });
  env.printComponents?.forEach((c, i) => {
    if (!billCodes.has(c.template))
      missing(`printComponents[${i}].template`, "bill type", c.template, "billTypes");
  });
  // Mappings of places and channels must point at declared local codes; departments and charge
  // items live in the HIS and are not declared here.
  env.codeMappings?.forEach((m, i) => {
    if (m.kind === "place" && !places.has(m.local))
      missing(`codeMappings[${i}].local`, "invoicing point", m.local, "invoicingPoints");
    if (m.kind === "channel" && !channels.has(m.local))
      missing(`codeMappings[${i}].local`, "payment channel", m.local, "paymentChannels");
  });
}
