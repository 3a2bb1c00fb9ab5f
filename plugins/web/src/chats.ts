/**
 * Web chat ownership: the first visitor to open or write to a chat name owns it.
 * Callers answer 404 to everyone else, the same answer as for a chat that does not
 * exist, so probing names reveals nothing.
 */
import type { Database } from "better-sqlite3";

export class WebChats {
  private readonly statements;

  constructor(db: Database) {
    this.statements = {
      claim: db.prepare("INSERT INTO web_chats (chat, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (chat) DO NOTHING"),
      owner: db.prepare("SELECT owner FROM web_chats WHERE chat = ?"),
    };
  }

  /** Claims `chat` for `visitor` if nobody owns it; returns true when `visitor` owns it. */
  claim(chat: string, visitor: string): boolean {
    // Read first: only a new chat needs a write (and so can meet a locked database).
    let row = this.statements.owner.get(chat) as { owner: string } | undefined;
    if (!row) {
      this.statements.claim.run(chat, visitor, Date.now());
      row = this.statements.owner.get(chat) as { owner: string } | undefined;
    }
    return row?.owner === visitor;
  }
}
