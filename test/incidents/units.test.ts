import { describe, expect, it } from "vitest";
import { sinceOf } from "../../src/incidents/window.ts";
import { loadValidStack } from "../../src/config/load.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { parseFault, parseFaults } from "../../src/simulator/faults.ts";
import { localTimestamp } from "../../src/simulator/clock.ts";
import { stepOf, RESULT } from "../../src/protocol/result-codes.ts";

describe("the incident window (--since)", () => {
  it("takes a duration back from now in the hospital's zone, or a local time as given", async () => {
    const { env } = await loadValidStack(FIXTURE_STACK);
    const at = new Date("2026-06-15T02:00:00Z"); // 10:00 in Asia/Shanghai
    expect(sinceOf("2h", env, at)).toBe("2026-06-15 08:00:00.000");
    expect(sinceOf("30m", env, at)).toBe("2026-06-15 09:30:00.000");
    expect(sinceOf("1d", env, at)).toBe("2026-06-14 10:00:00.000");
    expect(sinceOf("2026-06-15 07:00", env, at)).toBe("2026-06-15 07:00");
    expect(() => sinceOf("yesterday", env, at)).toThrow(
      "--since 'yesterday' is neither a duration (30m, 2h, 1d) nor a local time (YYYY-MM-DD or YYYY-MM-DD HH:MM)",
    );
  });
});

describe("fault switches", () => {
  it("parses the known faults and names them all when one is not", () => {
    expect(parseFaults("push-500, stock-exhausted:001,push-500")).toEqual([
      "push-500",
      "stock-exhausted:001",
    ]);
    expect(() => parseFault("network-down")).toThrow(
      /unknown fault 'network-down'; known faults: signature-down, fiscal-down/,
    );
  });
});

describe("the simulator's clock and result codes", () => {
  it("writes local time with milliseconds, as the product's timestamp columns hold it", () => {
    expect(localTimestamp(new Date("2026-12-31T16:00:00.042Z"), "Asia/Shanghai")).toBe(
      "2027-01-01 00:00:00.042",
    );
  });

  it("blames a chain step for each failure code, none for success or a query's not found", () => {
    expect(stepOf(RESULT.unmappedChannel.code)).toBe("mapping");
    expect(stepOf(RESULT.fiscalDown.code)).toBe("fiscal");
    expect(stepOf("S0000")).toBeNull();
    expect(stepOf(RESULT.notFound.code)).toBeNull();
  });
});
