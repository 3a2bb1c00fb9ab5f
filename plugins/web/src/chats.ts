/**
 * Web chat ownership: the first visitor to open or write to a chat name owns it.
 * Callers answer 404 to everyone else, the same answer as for a chat that does not
 * exist, so probing names reveals nothing.
 */
import type { Database } from "better-sqlite3";

/** Owners remembered in memory; a chat never changes owner, so entries only age out. */
export const OWNER_CACHE_SIZE = 10_000;

export class WebChats {
  private readonly statements;
  private readonly owners = new Map<string, string>();

  constructor(db: Database) {
    this.statements = {
      claim: db.prepare("INSERT INTO web_chats (chat, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (chat) DO NOTHING"),
      owner: db.prepare("SELECT owner FROM web_chats WHERE chat = ?"),
    };
  }

  /** Claims `chat` for `visitor` if nobody owns it; returns true when `visitor` owns it. */
  claim(chat: string, visitor: string): boolean {
    const known = this.owners.get(chat);
    if (known !== undefined) return known === visitor;

    // Read first: only a new chat needs a write (and so can meet a locked database).
    let row = this.statements.owner.get(chat) as { owner: string } | undefined;
    if (!row) {
      this.statements.claim.run(chat, visitor, Date.now());
      row = this.statements.owner.get(chat) as { owner: string } | undefined;
    }
    if (row) this.remember(chat, row.owner);
    return row?.owner === visitor;
  }

  /** Chats whose owner is held in memory (at most OWNER_CACHE_SIZE). */
  get cached(): number {
    return this.owners.size;
  }

  private remember(chat: string, owner: string): void {
    if (this.owners.size >= OWNER_CACHE_SIZE) this.owners.delete(this.owners.keys().next().value!);
    this.owners.set(chat, owner);
  }
}
