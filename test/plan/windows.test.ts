import { describe, expect, it } from "vitest";
import { applyGate, matchingFreeze, matchingWindow } from "../../src/plan/windows.ts";
import { localDate } from "../../src/base/time.ts";
import type { Maintenance } from "../../src/model/environment.ts";

const TZ = "Asia/Shanghai";
const at = (iso: string) => localDate(new Date(iso), TZ);

// Weeknights 22:00 until 06:00 the next morning, plus Saturday afternoon.
const windows: Maintenance["changeWindows"] = [
  { days: ["mon", "tue", "wed", "thu", "fri"], start: "22:00", end: "06:00" },
  { days: ["sat"], start: "13:00", end: "18:00" },
];
const freezes: Maintenance["freezes"] = [
  { from: "12-31T18:00", to: "01-01T08:00", reason: "year-end rollover (年结)" },
];

describe("change windows (local time, Asia/Shanghai)", () => {
  it.each([
    // 2026-11-23 is a Monday.
    ["Monday 21:59 is before the window", "2026-11-23T21:59:00+08:00", false],
    ["Monday 22:00 opens it", "2026-11-23T22:00:00+08:00", true],
    ["Tuesday 03:00 continues Monday's window past midnight", "2026-11-24T03:00:00+08:00", true],
    ["Tuesday 06:00 closes it", "2026-11-24T06:00:00+08:00", false],
    ["Tuesday 10:00 is clinic hours", "2026-11-24T10:00:00+08:00", false],
    ["Saturday 02:00 continues Friday's window", "2026-11-28T02:00:00+08:00", true],
    ["Sunday 02:00: Saturday has no night window", "2026-11-29T02:00:00+08:00", false],
    ["Monday 02:00: Sunday has no night window", "2026-11-30T02:00:00+08:00", false],
    ["Saturday 13:00 opens the afternoon window", "2026-11-28T13:00:00+08:00", true],
    ["Saturday 18:00 closes it", "2026-11-28T18:00:00+08:00", false],
    // The instant is UTC; the weekday is the hospital's: Monday 23:00 in Shanghai is Monday 15:00 UTC.
    ["an instant given in UTC is judged in local time", "2026-11-23T15:00:00Z", true],
  ])("%s", (_name, iso, open) => {
    expect(Boolean(matchingWindow(windows, at(iso)))).toBe(open);
  });

  it("a window with equal start and end is the whole day", () => {
    const allDay: Maintenance["changeWindows"] = [{ days: ["sun"], start: "00:00", end: "00:00" }];
    expect(matchingWindow(allDay, at("2026-11-29T12:00:00+08:00"))).toBeDefined();
    expect(matchingWindow(allDay, at("2026-11-30T12:00:00+08:00"))).toBeUndefined();
  });
});

describe("freezes", () => {
  it.each([
    ["31 December 17:59 is before the freeze", "2026-12-31T17:59:00+08:00", false],
    ["31 December 18:00 starts it", "2026-12-31T18:00:00+08:00", true],
    ["midnight of the new year is inside", "2027-01-01T00:00:00+08:00", true],
    ["1 January 07:59 is inside", "2027-01-01T07:59:00+08:00", true],
    ["1 January 08:00 ends it", "2027-01-01T08:00:00+08:00", false],
    ["30 December is not frozen", "2026-12-30T23:00:00+08:00", false],
  ])("%s", (_name, iso, frozen) => {
    expect(Boolean(matchingFreeze(freezes, at(iso)))).toBe(frozen);
  });

  it("a freeze inside one year", () => {
    const spring = [{ from: "02-10T00:00", to: "02-17T00:00", reason: "Spring Festival" }];
    expect(matchingFreeze(spring, at("2026-02-12T10:00:00+08:00"))).toBeDefined();
    expect(matchingFreeze(spring, at("2026-02-17T00:00:00+08:00"))).toBeUndefined();
  });
});

describe("applyGate", () => {
  const maintenance = {
    timezone: TZ,
    changeWindows: windows,
    freezes,
  } as Maintenance;
  const prod = { name: "lingshui-prod", kind: "production" as const, maintenance };

  it("refuses a production change in clinic hours, naming the time and the windows", () => {
    const gate = applyGate(prod, new Date("2026-11-24T10:00:00+08:00"));
    expect(gate.allowed).toBe(false);
    if (!gate.allowed) {
      expect(gate.reason).toContain("tue 2026-11-24 10:00 Asia/Shanghai is outside the change windows");
      expect(gate.reason).toContain("--emergency");
    }
  });

  it("refuses inside a freeze even when a window is open", () => {
    const open = { ...prod, maintenance: { ...maintenance, changeWindows: [] } };
    const gate = applyGate(open, new Date("2026-12-31T23:30:00+08:00"));
    expect(gate.allowed).toBe(false);
    if (!gate.allowed) expect(gate.reason).toContain("year-end rollover");
  });

  it("lets an emergency through and says why, for the audit", () => {
    const gate = applyGate(prod, new Date("2026-11-24T10:00:00+08:00"), "fiscal platform rejects all bills");
    expect(gate).toMatchObject({ allowed: true });
    if (gate.allowed) expect(gate.note).toContain("fiscal platform rejects all bills");
  });

  it("an empty emergency reason is no reason", () => {
    expect(applyGate(prod, new Date("2026-11-24T10:00:00+08:00"), "  ").allowed).toBe(false);
  });

  it("does not gate test and sandbox stacks", () => {
    expect(applyGate({ ...prod, kind: "test" }, new Date("2026-11-24T10:00:00+08:00")).allowed).toBe(true);
    expect(applyGate({ ...prod, kind: "sandbox" }, new Date("2026-12-31T23:00:00+08:00")).allowed).toBe(true);
  });

  it("a production stack without windows may change any time outside freezes", () => {
    const anytime = { ...prod, maintenance: { ...maintenance, changeWindows: [] } };
    expect(applyGate(anytime, new Date("2026-11-24T10:00:00+08:00")).allowed).toBe(true);
  });
});
