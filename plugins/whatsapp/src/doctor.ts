/**
 * `arizuko doctor` for WhatsApp: whether each account has a linked session in the store
 * that the configured `authKey` opens. It reads the store only; it never connects, since
 * a second connection with the same session would log the running instance out.
 */
import type { DoctorContext, DoctorFinding } from "@arizuko/sdk";
import type { WhatsAppConfig } from "./index.js";
import { openSession, SessionUnreadable } from "./session.js";

const link = (phone: string) => `link the phone with \`arizuko whatsapp login ${phone}\` (docs/channels/whatsapp.md)`;

export async function checkAccounts(config: WhatsAppConfig, context: DoctorContext): Promise<DoctorFinding[]> {
  const { db } = context;
  const stored = db?.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'whatsapp_auth'").get() !== undefined;
  return config.accounts.map(({ phone }) => {
    const check = `account ${phone}`;
    if (!db || !stored) return { check, level: "warn", detail: `no session stored yet; ${link(phone)}` };
    try {
      if (openSession(db, phone, config.authKey).linked()) return { check, level: "ok", detail: "a linked session is stored and authKey opens it" };
      return { check, level: "warn", detail: `not linked; ${link(phone)}` };
    } catch (error) {
      if (error instanceof SessionUnreadable) return { check, level: "fail", detail: error.message };
      throw error;
    }
  });
}
