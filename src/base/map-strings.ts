/**
 * A deep copy of plain JSON-like data with every string and every object key passed through `f`;
 * other values are kept as they are. Redaction and the audit's storable text both need it.
 */
export function mapStrings<T>(value: T, f: (text: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return f(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
