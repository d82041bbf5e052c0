import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/** An enabled bill type without a template cannot be printed or exchanged for paper. */
export function templatesForEnabledBillTypes(env: Environment): Finding[] {
  if (!env.billTypes) return [];
  const templated = new Set((env.printTemplates ?? []).map((t) => t.billCode));
  return env.billTypes.flatMap((b, i) =>
    b.enabled && !templated.has(b.code)
      ? [
          {
            path: `billTypes[${i}]`,
            message: `enabled bill type ${b.code} (${b.year}) has no print template; add one to printTemplates`,
          },
        ]
      : [],
  );
}
