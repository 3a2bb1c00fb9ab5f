/**
 * What to do when a WhatsApp socket closes, by Baileys' disconnect code
 * (`lastDisconnect.error.output.statusCode`). Everything reconnects except a logout:
 * the phone unlinked us, so the session is void. A ban, another client taking over the
 * same session and a multi-device mismatch rarely pass by themselves, so those retry
 * at the longest wait only (two clients on one session would otherwise keep replacing
 * each other). The restart WhatsApp requests right after linking happens at once.
 */
import { DisconnectReason } from "baileys";

export type CloseAction = { action: "logged-out"; reason: string } | { action: "reconnect"; delay: "now" | "backoff" | "longest"; reason: string };

export function onClose(code: number | null, message: string): CloseAction {
  switch (code) {
    case DisconnectReason.loggedOut:
      return { action: "logged-out", reason: "logged out: the device was removed from the phone's Linked Devices" };
    case DisconnectReason.forbidden:
      return { action: "reconnect", delay: "longest", reason: `WhatsApp refused the account (403: ${message}); check the phone for a ban notice` };
    case DisconnectReason.connectionReplaced:
      return { action: "reconnect", delay: "longest", reason: "another client connected with the same session (440); stop the other client, or run `arizuko whatsapp logout` and `arizuko whatsapp login` to link this one again" };
    case DisconnectReason.multideviceMismatch:
      return { action: "reconnect", delay: "longest", reason: "WhatsApp requires multi-device for this account (411); run `arizuko whatsapp logout` and `arizuko whatsapp login` to link it again" };
    case DisconnectReason.restartRequired:
      return { action: "reconnect", delay: "now", reason: "WhatsApp asked for a restart (515)" };
    default:
      return { action: "reconnect", delay: "backoff", reason: `connection closed${code === null ? "" : ` (${code})`}: ${message}` };
  }
}

/** Milliseconds before reconnect attempt `attempt` (0-based): doubling from `minMs` up to `maxMs`, with up to 20 % jitter. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - 0.2 * random()));
}
