/** Last reported health of each channel, kept so operators see it after a restart too. */
import type { ChannelState } from "@arizuko/sdk";
import type { Db } from "./db.js";

export class ChannelStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      upsert: db.prepare(
        `INSERT INTO channels (name, plugin, state, detail, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET plugin = excluded.plugin, state = excluded.state,
           detail = excluded.detail, updated_at = excluded.updated_at`,
      ),
    };
  }

  setState(name: string, plugin: string, state: ChannelState, detail: string | null, now: number): void {
    this.statements.upsert.run(name, plugin, state, detail, now);
  }
}
