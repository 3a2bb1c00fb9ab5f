/**
 * The key access tokens are signed with: 32 random bytes in `<data>/auth.key` (mode
 * 0600), created at the first start. Deleting the file signs everyone out.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SIGNING_KEY_FILE = "auth.key";

export function signingKey(dataDir: string): Uint8Array {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
  return new Uint8Array(Buffer.from(readFileSync(file, "utf8").trim(), "base64url"));
}
