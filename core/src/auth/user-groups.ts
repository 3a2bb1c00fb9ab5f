/**
 * Links between users and the groups they may use (`user_groups`). A link names one
 * folder exactly; operators need none, since they may use every group.
 */
import type { Database } from "better-sqlite3";

export class UserGroups {
  private readonly statements;

  constructor(db: Database) {
    this.statements = {
      link: db.prepare("INSERT INTO user_groups (user_id, folder, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      unlink: db.prepare("DELETE FROM user_groups WHERE user_id = ? AND folder = ?"),
      ofUser: db.prepare("SELECT folder FROM user_groups WHERE user_id = ? ORDER BY folder"),
      has: db.prepare("SELECT 1 FROM user_groups WHERE user_id = ? AND folder = ?"),
    };
  }

  /** Links `userId` to `folder`; returns false when the link existed. */
  link(userId: string, folder: string): boolean {
    return this.statements.link.run(userId, folder, Date.now()).changes > 0;
  }

  /** Removes the link; returns false when there was none. */
  unlink(userId: string, folder: string): boolean {
    return this.statements.unlink.run(userId, folder).changes > 0;
  }

  ofUser(userId: string): string[] {
    return (this.statements.ofUser.all(userId) as Array<{ folder: string }>).map((row) => row.folder);
  }

  has(userId: string, folder: string): boolean {
    return this.statements.has.get(userId, folder) !== undefined;
  }
}
