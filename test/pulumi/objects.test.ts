/**
 * The pure planning of the Pulumi program (src/pulumi/objects.ts): which stack is loaded, and
 * which resources, in which order, a stack declares. Table tests, no engine, no database.
 */
import { describe, expect, it } from "vitest";
import type { Environment } from "../../src/model/environment.ts";
import { declaredObjects, resourceName, stackReference, typeToken } from "../../src/pulumi/objects.ts";

describe("stackReference", () => {
  it.each([
    { config: "lingshui-prod", variable: "sandbox", expected: "lingshui-prod", why: "config wins" },
    { config: undefined, variable: "sandbox", expected: "sandbox", why: "variable when no config" },
    { config: "  ", variable: "lingshui-test", expected: "lingshui-test", why: "blank config is unset" },
    { config: "stacks/sandbox.ts", variable: undefined, expected: "stacks/sandbox.ts", why: "a path" },
  ])("$why", ({ config, variable, expected }) => {
    expect(stackReference(config, variable)).toBe(expected);
  });

  it("says how to choose a stack when none is", () => {
    expect(() => stackReference(undefined, "")).toThrow(
      /pulumi config set ebill-ops:stack <name>.*EBILL_OPS_STACK/,
    );
  });
});

// Only the parts declaredObjects reads; the rest of an Environment is irrelevant here.
const env = (parts: Partial<Environment>) => parts as Environment;

describe("declaredObjects", () => {
  it.each([
    {
      why: "a kind left out has no resources; each kind waits for the nearest earlier declared kind",
      env: env({
        tablespaces: [{ name: "ebill_2026", year: 2026, location: "/t/2026" }],
        paymentChannels: [{ code: "02", name: "现金", kind: "cash", enabled: true }],
        roles: [{ code: "cashier", name: "收费员", permissions: ["bill.print", "bill.issue"] }],
      }),
      expected: [
        { name: "tablespaces/ebill_2026", after: null },
        { name: "paymentChannels/02", after: "tablespaces" },
        { name: "roles/cashier", after: "paymentChannels" },
      ],
    },
    {
      why: "an empty declared kind is skipped as a dependency (nothing to wait for)",
      env: env({
        billTypes: [],
        invoicingPoints: [{ code: "001", name: "门诊", enabled: true, billCodes: [] }],
      }),
      expected: [{ name: "invoicingPoints/001", after: null }],
    },
    {
      why: "ids are the runner's: a mapping is system/kind/local",
      env: env({
        codeMappings: [{ system: "his", kind: "place", local: "001", remote: "MZ01" }],
      }),
      expected: [{ name: "codeMappings/his/place/001", after: null }],
    },
  ])("$why", ({ env: e, expected }) => {
    expect(declaredObjects(e, "s").map((o) => ({ name: o.name, after: o.after }))).toEqual(expected);
  });

  it("inputs are the stack reference, kind, id and the runner's declared fields (sorted permissions)", () => {
    const [role] = declaredObjects(
      env({ roles: [{ code: "cashier", name: "收费员", permissions: ["bill.print", "bill.issue"] }] }),
      "lingshui-prod",
    );
    expect(role!.inputs).toEqual({
      stack: "lingshui-prod",
      kind: "roles",
      objectId: "cashier",
      fields: { code: "cashier", name: "收费员", permissions: ["bill.issue", "bill.print"] },
    });
  });

  it("names and type tokens", () => {
    expect(resourceName("billStock", "46060126/2026-01/0000000001")).toBe(
      "billStock/46060126/2026-01/0000000001",
    );
    expect(typeToken("invoicingPoints")).toBe("pulumi-nodejs:dynamic/ebill-ops:invoicingPoints");
  });
});
