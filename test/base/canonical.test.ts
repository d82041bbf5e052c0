/**
 * canonicalJson leaves objects whose keys are already in order as they are, for speed; every plan
 * and audit hash depends on its text, so it must give exactly what JSON.stringify gives once every
 * object is rebuilt with its keys sorted.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/base/canonical.ts";

/** The definition: JSON.stringify with every object rebuilt in sorted key order. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A deterministic generator of awkward JSON-ish values. */
function randomValue(seed: { n: number }, depth: number): unknown {
  const next = () => (seed.n = (seed.n * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  const strings = [
    "",
    "a",
    "z",
    "A",
    "门诊",
    "\u0000",
    "\ud800",
    '"quote"',
    "line\nbreak",
    "10",
    "2",
    "-1",
    "01",
    "😀",
  ];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return [0, -0, 1.5, 1e21, 2026, -7, NaN, Infinity][Math.floor(next() * 8)];
    case 3:
      return strings[Math.floor(next() * strings.length)];
    case 4:
      return undefined;
    case 5:
      return new Date(Date.UTC(2026, 0, 1 + Math.floor(next() * 300)));
    case 6:
    case 7: {
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--)
        object[strings[Math.floor(next() * strings.length)]!] = randomValue(seed, depth + 1);
      return object;
    }
    default:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(seed, depth + 1));
  }
}

describe("canonicalJson", () => {
  it("sorts keys at every level, index-like keys first as JavaScript keeps them", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null }, 10: "x", 2: "y" })).toBe(
      '{"2":"y","10":"x","a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });

  it("gives exactly the reference text for a thousand awkward values", () => {
    const seed = { n: 20261231 };
    for (let i = 0; i < 1000; i++) {
      const value = { root: randomValue(seed, 0) };
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });
});
