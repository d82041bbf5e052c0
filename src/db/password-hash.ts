/**
 * The product's password-hash format, behind ONE pair of functions (hashPassword / verifyPassword):
 * adapting to the real product's format (its vendor documents it, e.g. salted SM3 or bcrypt) is a
 * change of this file only. Everything else stores and compares the returned string opaquely.
 *
 * The reference format is scrypt (node:crypto, no extra package), written as one text value:
 *
 *   scrypt$16384$8$1$<salt, 16 bytes, base64>$<key, 32 bytes, base64>
 *
 * i.e. `scrypt$N$r$p$salt$key`, N the CPU/memory cost, r the block size, p the parallelism.
 *
 * One-time passwords (generateOneTimePassword) come from the crypto RNG: 16 characters of an
 * alphabet without look-alikes (no 0/O, 1/l/I), always with upper case, lower case and a digit so
 * that the product's complexity rule accepts them: about 92 bits.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** The stored form of `password` (random salt each time). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** Does `password` match the stored form? False for a form this module does not know. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const expected = Buffer.from(parts[5]!, "base64");
  const key = await derive(password, Buffer.from(parts[4]!, "base64"), n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const DIGITS = "23456789";
const ALPHABET = UPPER + LOWER + DIGITS;
const LENGTH = 16;

/** A strong one-time password from the crypto RNG (see the header). */
export function generateOneTimePassword(): string {
  for (;;) {
    let password = "";
    for (let i = 0; i < LENGTH; i++) password += ALPHABET[randomInt(ALPHABET.length)];
    const has = (set: string) => [...password].some((c) => set.includes(c));
    if (has(UPPER) && has(LOWER) && has(DIGITS)) return password;
  }
}
