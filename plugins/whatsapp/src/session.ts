/**
 * One account's WhatsApp session in the arizuko store: Baileys' credentials and its
 * Signal keys, one sealed row each in `whatsapp_auth`. A backup of the database is a
 * backup of the session; the rows are unreadable without the configured `authKey`.
 */
import type { Database } from "better-sqlite3";
import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataSet, type SignalDataTypeMap } from "baileys";
import { SealBroken, sealerFor } from "./sealed.js";

const CREDS = "creds";

/** The stored session cannot be read: sealed under another `authKey`, or damaged. */
export class SessionUnreadable extends Error {
  constructor(account: string, cause: string) {
    super(
      `the stored WhatsApp session of ${account} cannot be read (${cause}); set the authKey it was saved with, ` +
        `or link the phone again with \`arizuko whatsapp login ${account}\``,
    );
    this.name = "SessionUnreadable";
  }
}

export interface Session {
  /** True when the store has a completed link: the account and its signed device identity. */
  linked(): boolean;
  /** The stored state, or fresh credentials when the account is not linked. Throws `SessionUnreadable`. */
  state(): AuthenticationState;
  /** Writes the credentials the socket changed in place. */
  saveCreds(): void;
  /** Deletes the credentials and every key, after a logout or before a new link. */
  clear(): void;
}

/** True for credentials of a finished link; a pairing still waiting for the phone has `me` but no `account`. */
export function isLinked(creds: AuthenticationCreds | null): boolean {
  return Boolean(creds?.me?.id && creds.account);
}

export function openSession(db: Database, account: string, authKey: string): Session {
  const sealer = sealerFor(authKey, account);
  const select = db.prepare("SELECT value FROM whatsapp_auth WHERE account = ? AND type = ? AND id = ?").pluck();
  const upsert = db.prepare("INSERT INTO whatsapp_auth (account, type, id, value) VALUES (?, ?, ?, ?) ON CONFLICT (account, type, id) DO UPDATE SET value = excluded.value");
  const remove = db.prepare("DELETE FROM whatsapp_auth WHERE account = ? AND type = ? AND id = ?");
  const removeAll = db.prepare("DELETE FROM whatsapp_auth WHERE account = ?");
  let creds: AuthenticationCreds | null = null;

  function read(type: string, id: string): unknown {
    const sealed = select.get(account, type, id) as Buffer | undefined;
    if (sealed === undefined) return null;
    try {
      return JSON.parse(sealer.open(sealed, `${account}/${type}/${id}`), BufferJSON.reviver);
    } catch (error) {
      throw new SessionUnreadable(account, error instanceof SealBroken ? "it was sealed under another authKey" : "a row is damaged");
    }
  }

  function write(type: string, id: string, value: unknown): void {
    upsert.run(account, type, id, sealer.seal(JSON.stringify(value, BufferJSON.replacer), `${account}/${type}/${id}`));
  }

  const keys: AuthenticationState["keys"] = {
    get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        let value = read(type, id);
        if (value === null) continue;
        if (type === "app-state-sync-key") value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        found[id] = value as SignalDataTypeMap[T];
      }
      return found;
    },
    set(data: SignalDataSet) {
      db.transaction(() => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value === null || value === undefined) remove.run(account, type, id);
            else write(type, id, value);
          }
        }
      })();
    },
  };

  function stored(): AuthenticationCreds | null {
    return read(CREDS, "") as AuthenticationCreds | null;
  }

  return {
    linked: () => isLinked(stored()),
    state() {
      const saved = stored();
      // A pairing that never finished leaves `me` set; starting from it would log in instead of registering.
      creds = isLinked(saved) ? saved! : initAuthCreds();
      return { creds, keys };
    },
    saveCreds() {
      if (creds) write(CREDS, "", creds);
    },
    clear() {
      removeAll.run(account);
    },
  };
}
