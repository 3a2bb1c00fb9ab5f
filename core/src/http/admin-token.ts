/**
 * The instance's own operator credential: a random token in `<data>/admin.token` (mode
 * 0600), created at the first start. HTTP routes registered with `auth: "operator"`
 * take it as `Authorization: Bearer <token>`, as they take an operator user's access
 * token (auth/operator.ts).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ADMIN_TOKEN_FILE = "admin.token";

/** Reads the instance's admin token, creating it on first use. */
export function adminToken(dataDir: string): string {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
  return readFileSync(file, "utf8").trim();
}

/** True when the Authorization header carries `token`; the comparison takes the same time whatever the input. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? "";
  const expected = Buffer.from(token);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
