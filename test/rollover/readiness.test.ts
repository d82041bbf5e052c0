/** Readiness rules that do not need a database: the live state is given. */
import { describe, expect, it } from "vitest";
import type { LiveView } from "../../src/rollover/live-view.ts";
import { evaluateReadiness } from "../../src/rollover/readiness.ts";
import { fixtureEnv } from "./fixture-env.ts";

/** Everything of the fixture's year live: only the declaration decides. */
function liveOf(env: ReturnType<typeof fixtureEnv>): LiveView {
  return {
    dataDirectory: null,
    tablespaces: [],
    partitions: [],
    billTypes: (env.billTypes ?? []).map((b) => ({
      code: b.code,
      name: b.name,
      year: b.year,
      enabled: true,
    })),
    templates: (env.printTemplates ?? []).map((t) => ({
      billCode: t.billCode,
      name: t.name,
      version: t.version,
    })),
    invoicingPoints: [],
    paymentChannels: [],
    mappings: [],
    stock: [],
  };
}

function billTypeItems(kind: "production" | "test" | "sandbox") {
  const env = fixtureEnv(kind);
  const year = env.hospital.fiscalYear;
  return evaluateReadiness({
    env,
    stack: env.name,
    year,
    today: "2000-01-01",
    live: liveOf(env),
    lastYearUsage: [],
    lastYearDays: 365,
    thisYearRuns: [],
    stockDays: 31,
    probes: [],
    disk: {},
  }).items.filter((i) => i.area === "bill-types");
}

describe("EXAMPLE bill codes", () => {
  it("are never ready in a production stack, even when live", () => {
    const [item] = billTypeItems("production");
    expect(item).toMatchObject({ status: "missing" });
    expect(item!.detail).toMatch(
      /EXAMPLE code.*production stack must declare the code the fiscal platform issued/,
    );
  });

  it("are ready (and named as examples) in sandbox and test stacks", () => {
    for (const kind of ["sandbox", "test"] as const) {
      const [item] = billTypeItems(kind);
      expect(item, kind).toMatchObject({ status: "ok", detail: expect.stringContaining("EXAMPLE code") });
    }
  });
});
