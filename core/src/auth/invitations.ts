/**
 * Invitation links: a random token an operator hands out; the first person to use it
 * chooses a username and password and gets an account with the invitation's role.
 * Only the token's sha256 digest is stored.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { Role } from "./access-tokens.js";

const digestOf = (token: string) => createHash("sha256").update(token).digest("base64url");

interface InvitationRow {
  digest: string;
  role: Role;
  expires_at: number;
  used_at: number | null;
}

export type Invitation = { ok: true; role: Role; expiresAt: number } | { ok: false; status: 404 | 410; reason: string };

export class Invitations {
  constructor(private readonly db: Database) {}

  /** Creates an invitation valid for `days`; returns its token, shown to the operator once. */
  create(role: Role, days: number): { token: string; expiresAt: number } {
    const token = `inv_${randomBytes(24).toString("base64url")}`;
    const now = Date.now();
    const expiresAt = now + days * 86_400_000;
    this.db.prepare("INSERT INTO invitations (digest, role, created_at, expires_at) VALUES (?, ?, ?, ?)").run(digestOf(token), role, now, expiresAt);
    return { token, expiresAt };
  }

  /** Returns the invitation of `token` when it can still be used, or why not. */
  check(token: string): Invitation {
    const row = this.db.prepare("SELECT * FROM invitations WHERE digest = ?").get(digestOf(token)) as InvitationRow | undefined;
    if (!row) return { ok: false, status: 404, reason: "no such invitation; check the link, or ask an operator for a new one" };
    if (row.used_at !== null) return { ok: false, status: 410, reason: "this invitation was already used; ask an operator for a new one" };
    if (row.expires_at <= Date.now()) return { ok: false, status: 410, reason: "this invitation has expired; ask an operator for a new one" };
    return { ok: true, role: row.role, expiresAt: row.expires_at };
  }

  /** Marks the invitation used by `userId`; false when someone used it first. Call inside the transaction that adds the user. */
  use(token: string, userId: string): boolean {
    return this.db.prepare("UPDATE invitations SET used_at = ?, used_by = ? WHERE digest = ? AND used_at IS NULL").run(Date.now(), userId, digestOf(token)).changes === 1;
  }
}
