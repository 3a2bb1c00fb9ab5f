import { randomBytes } from "node:crypto";

/**
 * A new id: `<prefix>_` + 8 base-36 digits of milliseconds + 12 random base-32 digits.
 * Ids of one prefix sort by creation time (to the millisecond), which keeps logs readable.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  const random = randomBytes(8).readBigUInt64BE().toString(32).padStart(13, "0").slice(0, 12);
  return `${prefix}_${time}${random}`;
}
