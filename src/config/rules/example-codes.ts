import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/** Placeholder codes are fine in a test stack, but production must carry the codes the platform issued. */
export function exampleCodesFlagged(env: Environment): Finding[] {
  if (env.kind !== "production") return [];
  return (env.billTypes ?? []).flatMap((b, i) =>
    b.example
      ? [
          {
            path: `billTypes[${i}].code`,
            severity: "warning" as const,
            message: `bill code ${b.code} is an example; replace it with the code issued by the fiscal platform`,
          },
        ]
      : [],
  );
}
