import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/**
 * 接口对照 complete: the HIS sends its own place and channel codes and the fiscal platform wants
 * its own; an enabled point or channel without both mappings fails at its first bill.
 */
export function mappingsComplete(env: Environment): Finding[] {
  if (!env.codeMappings) return [];
  // Only place and channel mappings answer this; a catalog's charge items need not be keyed.
  const mapped = new Set(
    env.codeMappings
      .filter((m) => m.kind === "place" || m.kind === "channel")
      .map((m) => `${m.system}/${m.kind}/${m.local}`),
  );
  const findings: Finding[] = [];
  const check = (
    kind: "place" | "channel",
    list: { code: string; enabled: boolean }[] | undefined,
    listPath: string,
  ) =>
    list?.forEach((item, i) => {
      if (!item.enabled) return;
      for (const system of ["his", "fiscal"] as const) {
        if (!mapped.has(`${system}/${kind}/${item.code}`))
          findings.push({
            path: `${listPath}[${i}]`,
            message: `enabled ${kind === "place" ? "invoicing point" : "payment channel"} '${item.code}' has no ${system} mapping; add codeMappings { system: "${system}", kind: "${kind}", local: "${item.code}", remote: ... } or disable it`,
          });
      }
    });
  check("place", env.invoicingPoints, "invoicingPoints");
  check("channel", env.paymentChannels, "paymentChannels");
  return findings;
}
