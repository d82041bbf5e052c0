import { describe, expect, it } from "vitest";
import { missingSecrets, requireStackSecrets, secretSources, secretUses } from "../../src/config/secrets.ts";
import { parsed, sandboxInput } from "./fixtures.ts";

/** Secrets only from these (no file): the test decides what is set. */
const NO_FILES: string[] = [];

function withEnv<T>(values: Record<string, string | undefined>, body: () => T): T {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v))
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
  };
  apply(values);
  try {
    return body();
  } finally {
    apply(before);
  }
}

describe("secrets a stack references", () => {
  it("are listed by name with every path that uses them", () => {
    const input = sandboxInput();
    input.interfaces.fiscal.appKey = { secret: "EBILL_DB_PASSWORD" };
    expect(secretUses(parsed(input))).toEqual([
      { name: "EBILL_DB_PASSWORD", paths: ["database.password", "interfaces.fiscal.appKey"] },
    ]);
  });

  it("a mistyped name that only the hosts use is missing, though the database one resolves", () => {
    const input = sandboxInput();
    input.interfaces.fiscal.appKey = { secret: "FISCAL_APPKEY" };
    const env = parsed(input);
    withEnv({ EBILL_DB_PASSWORD: "set", FISCAL_APP_KEY: "set", FISCAL_APPKEY: undefined }, () => {
      expect(missingSecrets(env, NO_FILES)).toEqual([
        { name: "FISCAL_APPKEY", paths: ["interfaces.fiscal.appKey"] },
      ]);
      expect(() => requireStackSecrets(env, NO_FILES)).toThrow(
        /FISCAL_APPKEY \(interfaces\.fiscal\.appKey\)/,
      );
    });
  });

  it("nothing is missing when every one is set", () => {
    withEnv({ EBILL_DB_PASSWORD: "a", FISCAL_APP_KEY: "b" }, () => {
      expect(() => requireStackSecrets(parsed(sandboxInput()), NO_FILES)).not.toThrow();
    });
  });

  it("the message says where secrets come from: the sandbox's file, or CI and .secrets.env", () => {
    expect(secretSources({ kind: "sandbox", name: "sandbox" })).toMatch(
      /secrets\.env \(written by 'ebill-ops sandbox up'/,
    );
    const production = secretSources({ kind: "production", name: "lingshui-prod" });
    expect(production).toMatch(/GitHub environments 'lingshui-prod-plan' and 'lingshui-prod'/);
    expect(production).toMatch(/\.secrets\.env \(never committed\)/);
  });
});
