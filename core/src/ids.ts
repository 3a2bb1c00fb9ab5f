import { randomFillSync } from "node:crypto";

/** Random bytes drawn in blocks: one system call serves 512 ids. */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function randomWord(): bigint {
  if (offset + 8 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const word = POOL.readBigUInt64BE(offset);
  offset += 8;
  return word;
}

/**
 * A new id: `<prefix>_` + 9 base-36 digits of milliseconds + 12 random base-32 digits.
 * Ids of one prefix sort by creation time (to the millisecond), which keeps logs readable.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  const random = randomWord().toString(32).padStart(13, "0").slice(0, 12);
  return `${prefix}_${time}${random}`;
}
