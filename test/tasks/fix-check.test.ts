/**
 * The parser check's rules one by one, and the password-hash format, without a database: what is
 * refused (with which words) and what a reasonable fix may still do.
 */
import { describe, expect, it } from "vitest";
import { checkFix } from "../../src/db/fix-check.ts";
import { generateOneTimePassword, hashPassword, verifyPassword } from "../../src/db/password-hash.ts";

const check = (statement: string, verify = "SELECT 1 WHERE false") =>
  checkFix("fixes/sandbox/2026-11-30-x.yaml", { statement, verify }, "ebill");
const refusal = async (statement: string, verify?: string) =>
  check(statement, verify).then(
    () => "accepted",
    (error: Error) => error.message,
  );

describe("the parser check", () => {
  it("accepts one UPDATE, DELETE or INSERT on product tables, with subqueries, CTE reads and pure functions", async () => {
    await expect(
      check(
        "WITH wrong AS (SELECT bill_code, bill_no FROM bill WHERE channel_code = '05' AND amount > 100) " +
          "UPDATE bill b SET channel_code = upper(trim(' 11 ')) FROM wrong w WHERE b.bill_code = w.bill_code AND b.bill_no = w.bill_no",
      ),
    ).resolves.toMatchObject({ kind: "UPDATE", table: "bill", tables: ["bill"] });
    await expect(
      check("DELETE FROM ebill.code_mapping WHERE system = 'his' AND local_code = 'X'"),
    ).resolves.toMatchObject({
      kind: "DELETE",
      table: "code_mapping",
    });
    await expect(
      check("INSERT INTO payment_channel (code, name, kind) VALUES ('12', concat('银联', ''), 'unionpay')"),
    ).resolves.toMatchObject({ kind: "INSERT" });
  });

  it("protects the fiscal identity of issued bills, in the table and in its yearly partitions, and their lines", async () => {
    expect(await refusal("UPDATE bill_2026 SET issued_at = issued_at + interval '1 day'")).toMatch(
      /UPDATE of bill_2026.issued_at changes an issued bill's fiscal identity/,
    );
    expect(await refusal("UPDATE bill SET (bill_no, check_code) = ('0000000001', 'abcdef')")).toMatch(
      /bill.bill_no, bill.check_code/,
    );
    expect(await refusal("UPDATE bill_detail SET amount = 1")).toMatch(/bill_detail.amount/);
    expect(await refusal("INSERT INTO bill SELECT * FROM bill")).toMatch(
      /INSERT into bill makes bills the product did not issue/,
    );
    expect(await refusal("DELETE FROM bill_detail")).toMatch(/DELETE from bill_detail removes issued bills/);
    // The bill's state and channel are not its fiscal identity.
    expect(await refusal("UPDATE bill SET channel_code = '11' WHERE bill_no = '0000000001'")).toBe(
      "accepted",
    );
  });

  it("refuses other schemas, nested writes, procedural code and a verification that is not one SELECT", async () => {
    expect(
      await refusal("UPDATE payment_channel SET name = (SELECT usename FROM pg_catalog.pg_user LIMIT 1)"),
    ).toMatch(/pg_catalog.pg_user is outside the product schema 'ebill'/);
    expect(await refusal("UPDATE payment_channel SET name = 'x' FROM ebill_ops.fix_row")).toMatch(
      /ebill_ops.fix_row is the tool's own record/,
    );
    expect(
      await refusal("WITH gone AS (DELETE FROM role RETURNING code) UPDATE payment_channel SET name = 'x'"),
    ).toMatch(/data-modifying DELETE nested inside/);
    expect(await refusal("CALL do_something()")).toMatch(/statement: CALL is not allowed/);
    expect(await refusal("TRUNCATE bill_stock")).toMatch(/statement: TRUNCATE is not allowed/);
    expect(await refusal("UPDATE payment_channel SET name = 'x'", "DELETE FROM payment_channel")).toMatch(
      /verify: must be one SELECT .* not DELETE/,
    );
    expect(await refusal("UPDATE payment_channel SET name = 'x'", "SELECT 1; SELECT 2")).toMatch(
      /verify: must be exactly one SQL statement/,
    );
    expect(await refusal("UPDATE payment_channel SET name = nextval('s')")).toMatch(
      /function nextval\(\) is not allowed/,
    );
    expect(await refusal("UPDATE payment_channel SET name = public.lower('x')")).toMatch(
      /function public.lower\(\) is not allowed/,
    );
  });

  it("lists every problem of a file at once, each naming the file", async () => {
    const message = await refusal(
      "UPDATE bill SET amount = pg_sleep(1)",
      "SELECT * FROM ebill_ops.task_audit",
    );
    const lines = message.split("\n").slice(1);
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(line).toMatch(/^ {2}fixes\/sandbox\/2026-11-30-x.yaml: (statement|verify): /);
  });
});

describe("the password-hash format", () => {
  it("is scrypt$N$r$p$salt$key, salted per hash, and verifies only the right password", async () => {
    const a = await hashPassword("Kx7pQm2vRt9wZb4n");
    const b = await hashPassword("Kx7pQm2vRt9wZb4n");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("Kx7pQm2vRt9wZb4n", a)).toBe(true);
    expect(await verifyPassword("Kx7pQm2vRt9wZb4m", a)).toBe(false);
    expect(await verifyPassword("anything", "md5$abc")).toBe(false);
  });

  it("one-time passwords: 16 characters without look-alikes, upper, lower and digit, never repeated", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateOneTimePassword();
      expect(p).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*[2-9])[A-HJ-NP-Za-km-z2-9]{16}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});
