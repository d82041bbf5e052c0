/** Pure parts of the rollover: sizing, numbering, range arithmetic, partition bounds, stack edits. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadValidStack } from "../../src/config/load.ts";
import { Environment } from "../../src/model/environment.ts";
import { daysElapsed, deriveYear, roundUpNice } from "../../src/rollover/derive.ts";
import { subtract } from "../../src/rollover/ranges.ts";
import { evaluateReadiness } from "../../src/rollover/readiness.ts";
import { computeCarryOver } from "../../src/rollover/carry-over.ts";
import {
  addYearToStackText,
  LayoutError,
  writePlainStack,
  writeTsStack,
} from "../../src/rollover/write-year.ts";
import { FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { carryOverHtml } from "../../src/output/carry-over.ts";

const ordinaryDay = { today: new Date("2026-06-15T00:00:00Z") };

describe("sizing", () => {
  it.each([
    [0, 1000, 1000],
    [999, 1000, 1000],
    [1001, 1000, 1100],
    [3351, 1000, 3400],
    [54_321, 1000, 55_000],
    [123_456, 1000, 130_000],
    [120, 500, 500],
  ])("roundUpNice(%i, min %i) = %i", (n, min, want) => expect(roundUpNice(n, min)).toBe(want));

  it("counts days of the closing year, leap years and later days included", () => {
    expect(daysElapsed(2026, { year: 2026, month: 1, day: 1 })).toBe(1);
    expect(daysElapsed(2026, { year: 2026, month: 12, day: 20 })).toBe(354);
    expect(daysElapsed(2028, { year: 2028, month: 12, day: 31 })).toBe(366);
    expect(daysElapsed(2026, { year: 2027, month: 1, day: 3 })).toBe(365);
  });
});

describe("ranges", () => {
  it("subtracts used runs from distributed stock, gaps in the middle included", () => {
    expect(
      subtract(
        [{ first: 1, last: 100 }],
        [
          { first: 1, last: 10 },
          { first: 20, last: 20 },
          { first: 95, last: 120 },
        ],
      ),
    ).toEqual([
      { first: 11, last: 19 },
      { first: 21, last: 94 },
    ]);
    expect(subtract([{ first: 5, last: 9 }], [])).toEqual([{ first: 5, last: 9 }]);
  });
});

describe("deriving next year", () => {
  it("changes the year digits, keeps example, and continues numbering after what a code already has", async () => {
    const { env } = await loadValidStack(FIXTURE_STACK, ordinaryDay);
    // A hand-made 2027 range already declared for the outpatient code: numbering continues after it.
    const withExisting = {
      ...env,
      billStock: [
        ...(env.billStock ?? []),
        {
          billCode: "46060127",
          batch: "hand",
          first: "0000000001",
          last: "0000000100",
          place: "001",
          purpose: "issue" as const,
        },
      ],
    };
    const { declaration, sizing } = deriveYear(
      withExisting,
      2027,
      [{ place: "001", billCode: "46060126", issued: 2500 }],
      354,
    );
    expect(declaration.billTypes.map((b) => [b.code, b.year, b.example])).toEqual([
      ["46060127", 2027, true],
      ["46060227", 2027, true],
    ]);
    expect(declaration.printTemplates.map((t) => [t.billCode, t.version])).toEqual([
      ["46060127", "2027.1"],
      ["46060227", "2027.1"],
    ]);
    expect(declaration.tablespaces).toEqual([
      { name: "ebill_2027", year: 2027, location: "/var/lib/ebill/tablespaces/2027" },
    ]);
    expect(sizing.find((s) => s.place === "001")?.issueRange).toBe(3400);
    const first001 = declaration.billStock.find((s) => s.place === "001" && s.purpose === undefined);
    expect(first001).toMatchObject({ first: "0000000101", last: "0000003500" });
    // The inpatient code is new: it starts at 0000000001.
    expect(declaration.billStock.find((s) => s.billCode === "46060227")).toMatchObject({
      first: "0000000001",
    });
    expect(declaration.billStock.filter((s) => s.purpose === "exchange")).toHaveLength(3);
    expect(declaration.placeBillCodes).toEqual({
      "001": ["46060127"],
      "002": ["46060227"],
      "00000": ["46060127"],
    });
  });
});

describe("writing the year", () => {
  it("refuses a stack without the per-year layout, saying what to do", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-layout-"));
    try {
      const file = path.join(dir, "flat.ts");
      await writeFile(file, 'export default defineEnvironment({ name: "flat" });\n');
      const attempt = writeTsStack({
        stackFile: file,
        declaration: { year: 2027 } as never,
        hospital: "h",
        stack: "flat",
        sizing: [],
        margin: 1.3,
        force: false,
      });
      await expect(attempt).rejects.toThrow(LayoutError);
      await expect(attempt).rejects.toThrow(/withYears\(base, \[year2026\]\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("adds one import and one list entry, once", () => {
    const text = 'import year2026 from "./s/year-2026.ts";\nexport default withYears(base, [year2026]);\n';
    const located = { previousIdent: "year2026", spec: "./s/year-2027.ts" };
    const once = addYearToStackText(text, located, 2027, "s.ts");
    expect(once).toBe(
      'import year2026 from "./s/year-2026.ts";\nimport year2027 from "./s/year-2027.ts";\nexport default withYears(base, [year2026, year2027]);\n',
    );
    expect(addYearToStackText(once, located, 2027, "s.ts")).toBe(once);
  });

  it("appends to the arrays of JSON and YAML stacks, keeping YAML comments, and only once", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-plain-"));
    try {
      const declaration = {
        year: 2027,
        tablespaces: [{ name: "ebill_2027", year: 2027, location: "/d/2027" }],
        partitions: [],
        billTypes: [{ code: "46060127", name: "门诊", kind: "outpatient" as const, year: 2027 }],
        printTemplates: [],
        billStock: [],
        placeBillCodes: { "001": ["46060127"] },
      };
      const yamlFile = path.join(dir, "s.yaml");
      await writeFile(
        yamlFile,
        '# the hospital\'s own note\nname: s\ninvoicingPoints:\n  - code: "001" # front desk\n    billCodes: ["46060126"]\nbillTypes:\n  - code: "46060126"\n    year: 2026\n',
      );
      const jsonFile = path.join(dir, "s.json");
      await writeFile(
        jsonFile,
        JSON.stringify(
          { name: "s", invoicingPoints: [{ code: "001", billCodes: [] }], billTypes: [] },
          null,
          4,
        ) + "\n",
      );
      for (const file of [yamlFile, jsonFile]) {
        const first = await writePlainStack({ stackFile: file, declaration, force: false });
        expect(first.written).toEqual([file]);
        const after = await readFile(file, "utf8");
        const second = await writePlainStack({ stackFile: file, declaration, force: false });
        expect(second.written).toEqual([]);
        expect(await readFile(file, "utf8")).toBe(after);
      }
      const yaml = await readFile(yamlFile, "utf8");
      expect(yaml).toContain("# the hospital's own note");
      expect(yaml).toContain("# front desk");
      expect(yaml).toMatch(/- name: ebill_2027/);
      const json = await readFile(jsonFile, "utf8");
      expect(json).toContain('\n    "name": "s"');
      expect(JSON.parse(json).invoicingPoints[0].billCodes).toEqual(["46060127"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("carry-over report", () => {
  it("escapes every value in the HTML", () => {
    const c = computeCarryOver({
      stack: "s",
      stackKind: "sandbox",
      hospital: { name: '<script>alert("x")</script>医院', agencyCode: "A&1", regionCode: "469028" },
      year: 2026,
      date: "2026-12-31",
      live: {
        dataDirectory: null,
        tablespaces: [],
        partitions: [],
        billTypes: [{ code: "46060126", name: "a & b", year: 2026, enabled: true }],
        templates: [],
        invoicingPoints: [{ code: "001", name: "<b>门诊</b>", enabled: true }],
        paymentChannels: [],
        mappings: [],
        stock: [{ billCode: "46060126", batch: "1", first: 1, last: 10, place: "001", purpose: "issue" }],
      },
      usage: [
        {
          place: "001",
          billCode: "46060126",
          count: 3,
          voided: 1,
          redFlushed: 0,
          issuedFen: 100,
          redFlushFen: 0,
          first: 1,
          last: 3,
        },
      ],
      runs: [{ place: "001", billCode: "46060126", first: 1, last: 3 }],
    });
    expect(c.lines[0]!.unused).toEqual([{ first: "0000000004", last: "0000000010", count: 7 }]);
    const html = carryOverHtml(c);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("a &amp; b");
    expect(html).toContain("A&amp;1");
  });
});

describe("readiness without the live systems", () => {
  it("never reports ready when the database cannot be read, and marks the unmeasured disk unknown", async () => {
    const { env } = await loadValidStack(FIXTURE_STACK, ordinaryDay);
    const next = deriveYear(env, 2027, [], 354).declaration;
    const prepared = {
      ...env,
      tablespaces: [...(env.tablespaces ?? []), ...next.tablespaces],
      partitions: [...(env.partitions ?? []), ...next.partitions],
      billTypes: [...(env.billTypes ?? []), ...next.billTypes],
      printTemplates: [...(env.printTemplates ?? []), ...next.printTemplates],
      billStock: [...(env.billStock ?? []), ...next.billStock],
    };
    const report = evaluateReadiness({
      env: Environment.parse(prepared),
      stack: "sandbox",
      year: 2027,
      today: "2026-12-20",
      live: null,
      liveError: "cannot connect",
      lastYearUsage: [],
      lastYearDays: 354,
      thisYearRuns: [],
      stockDays: 31,
      probes: [],
      disk: { "/var/lib/ebill/tablespaces/2027": { space: null, reason: "could not be measured: remote" } },
    });
    expect(report.ready).toBe(false);
    expect(report.items.find((i) => i.id === "database")?.status).toBe("missing");
    expect(report.items.find((i) => i.id === "disk/ebill_2027")).toMatchObject({
      status: "unknown",
      detail: "could not be measured: remote",
    });
    expect(report.items.filter((i) => i.status === "ok")).toEqual([]);
  });
});
