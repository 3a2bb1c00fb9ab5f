/**
 * Password hashing with argon2id. The parameters are OWASP's minimum for argon2id
 * (Password Storage Cheat Sheet: 19 MiB of memory, 2 iterations, 1 lane); a hash made
 * with other parameters still verifies, because the PHC string carries its own.
 * `node bench/run.mjs --only auth` prints the time one verification takes here.
 */
import argon2 from "argon2";

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Shortest password a person may choose (generated ones are longer). */
export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/** A hash of a password no account has, verified for unknown users so that timing does not reveal which names exist. */
let decoy: Promise<string> | null = null;

/** Checks `password` against `hash`; with no hash, spends the same time and returns false. */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  decoy ??= hashPassword("decoy password that is never stored");
  try {
    return await argon2.verify(hash ?? (await decoy), password);
  } catch {
    return false;
  }
}
