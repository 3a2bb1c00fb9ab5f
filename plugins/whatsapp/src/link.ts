/**
 * Linking a phone to an account, as WhatsApp Web does: the socket shows QR codes (or,
 * on request, an 8-character pairing code) until the phone accepts one. WhatsApp then
 * sends the signed device identity and requests a restart (515): from then on the
 * session is in the store and the account's channel can connect with it.
 */
import type { Logger } from "pino";
import QRCode from "qrcode";
import type { WhatsAppAccount } from "./account.js";
import { statusOf } from "./errors.js";
import { baileysLogger } from "./logger.js";
import { isLinked } from "./session.js";
import type { SocketFactory, WaSocket } from "./socket.js";

export interface LinkOptions {
  /** Ask for a pairing code to type on the phone instead of a QR code to scan. */
  pairingCode: boolean;
  /** Shows progress to the user: each QR code, the pairing code. */
  print(text: string): void;
  timeoutMs: number;
  log: Logger;
}

/** The codes a pending link shows, for the dashboard panel and `/health` detail. */
export interface PendingLink {
  qr: string | null;
  code: string | null;
  startedAt: number;
}

/** Renders a QR payload as text for a terminal: two modules per character. */
export function qrText(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: "terminal", small: true });
}

/** Renders a QR payload as an SVG image, for HTML pages. */
export function qrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: "svg", margin: 2 });
}

/** `ABCDEFGH` → `ABCD-EFGH`, as WhatsApp shows it. */
const formatCode = (code: string) => (code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code);

function closeReason(code: number | null, message: string, linked: boolean): string {
  if (code === 408 && !linked) return "no phone accepted the code in time; run the command again and scan (or type) it within a minute";
  if (code === 401) return "WhatsApp refused the link (401); check that the phone number is right and try again";
  return `WhatsApp closed the connection before the link finished (${code ?? "no code"}: ${message}); try again`;
}

/**
 * Links `account` to a phone; resolves with the linked phone JID. On failure the
 * half-made session is deleted, so the next attempt starts clean.
 */
export function linkAccount(account: WhatsAppAccount, connect: SocketFactory, options: LinkOptions): Promise<string> {
  const { phone, session } = account;
  session.clear();
  const state = session.state();
  const log = options.log.child({ account: phone });

  return new Promise((resolve, reject) => {
    let socket: WaSocket | null = null;
    let requested = false;
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no phone completed the link within ${Math.round(options.timeoutMs / 1000)} s; run the command again`)), options.timeoutMs);

    function finish(error: Error | null): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      account.pendingLink = null;
      const closing = socket;
      socket = null;
      closing?.end(undefined);
      if (error) {
        session.clear();
        log.warn({ err: error.message }, "WhatsApp link failed");
        reject(error);
        return;
      }
      resolve(state.creds.me!.id);
    }

    const showQr = async (qr: string) => {
      account.pendingLink = { qr, code: account.pendingLink?.code ?? null, startedAt: account.pendingLink?.startedAt ?? Date.now() };
      if (options.pairingCode) {
        if (!requested) {
          requested = true;
          const code = formatCode(await socket!.requestPairingCode(phone));
          account.pendingLink.code = code;
          log.info({ code }, "WhatsApp pairing code ready");
          options.print(`On the phone of +${phone}: WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, and enter\n\n    ${code}\n`);
        } else {
          options.print(`still waiting for the code ${account.pendingLink.code ?? ""} to be entered…`);
        }
        return;
      }
      // The payload carries public keys and the pairing's ADV secret; it links nothing
      // without this process's private noise key, which never leaves the store.
      log.info({ qr }, "WhatsApp QR code ready: scan it with the phone (Linked devices → Link a device)");
      options.print(`Scan with the phone of +${phone}: WhatsApp → Settings → Linked devices → Link a device. A new code follows when this one expires.\n\n${await qrText(qr)}\n(QR payload: ${qr})`);
    };

    socket = connect({
      auth: state,
      logger: baileysLogger(log),
      getMessage: async () => undefined,
      cachedGroupMetadata: async () => undefined,
      shouldSyncHistoryMessage: () => true,
    });
    socket.ev.on("creds.update", () => session.saveCreds());
    socket.ev.on("connection.update", (update) => {
      if (done) return;
      if (update.qr) {
        showQr(update.qr).catch((error: unknown) => finish(new Error(`WhatsApp did not give a pairing code: ${(error as Error).message}`)));
      }
      if (update.connection !== "close" && update.connection !== "open") return;

      const linked = isLinked(state.creds);
      const linkedPhone = state.creds.me?.id.split(/[:@]/)[0];
      if (linked && linkedPhone !== phone) {
        finish(new Error(`the phone that accepted the link is +${linkedPhone}, but the account is configured as ${phone}; link the phone of +${phone} or fix the config`));
        return;
      }
      if (linked) return finish(null);
      if (update.connection === "close") finish(new Error(closeReason(statusOf(update.lastDisconnect?.error), update.lastDisconnect?.error?.message ?? "closed", linked)));
    });
  });
}
