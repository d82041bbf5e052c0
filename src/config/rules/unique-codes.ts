import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/** Reports every element whose key repeats an earlier element's: `roles[3].code: duplicate of roles[0]`. */
export function findDuplicates<T>(
  list: readonly T[] | undefined,
  listPath: string,
  field: string,
  key: (item: T) => string,
): Finding[] {
  const firstSeen = new Map<string, number>();
  const findings: Finding[] = [];
  (list ?? []).forEach((item, index) => {
    const k = key(item);
    const first = firstSeen.get(k);
    if (first === undefined) firstSeen.set(k, index);
    else
      findings.push({
        path: `${listPath}[${index}]${field ? "." + field : ""}`,
        message: `duplicate of ${listPath}[${first}] (${k}); each must be unique`,
      });
  });
  return findings;
}

/** Codes identify rows in the e-bill database and hosts in the inventory: a duplicate would be ambiguous. */
export function uniqueCodes(env: Environment): Finding[] {
  return [
    ...findDuplicates(env.hosts, "hosts", "name", (h) => h.name),
    ...findDuplicates(env.hosts, "hosts", "address", (h) => h.address),
    ...findDuplicates(env.tablespaces, "tablespaces", "name", (t) => t.name),
    ...findDuplicates(env.tablespaces, "tablespaces", "year", (t) => String(t.year)),
    ...findDuplicates(env.partitions, "partitions", "", (p) => `${p.table} ${p.year}`),
    ...findDuplicates(env.billTypes, "billTypes", "code", (b) => b.code),
    ...findDuplicates(env.printTemplates, "printTemplates", "billCode", (t) => t.billCode),
    ...findDuplicates(env.invoicingPoints, "invoicingPoints", "code", (p) => p.code),
    ...findDuplicates(env.paymentChannels, "paymentChannels", "code", (c) => c.code),
    ...findDuplicates(env.codeMappings, "codeMappings", "", (m) => `${m.system}/${m.kind}/${m.local}`),
    ...findDuplicates(env.billStock, "billStock", "", (s) => `${s.billCode}/${s.batch}/${s.first}`),
    ...findDuplicates(env.roles, "roles", "code", (r) => r.code),
    ...findDuplicates(env.operators, "operators", "account", (o) => o.account),
    ...findDuplicates(env.printComponents, "printComponents", "host", (c) => c.host),
  ];
}
