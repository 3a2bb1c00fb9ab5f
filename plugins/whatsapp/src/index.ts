/**
 * The WhatsApp channel plugin: each configured account is a channel owning
 * `whatsapp:<phone>/` chats, on Baileys. See docs/channels/whatsapp.md.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";
import { checkAccounts } from "./doctor.js";
import { WhatsAppAccount, type AccountSettings } from "./account.js";
import { whatsappCommand } from "./cli.js";
import { qrSvg } from "./link.js";
import { baileysSocket, type SocketFactory } from "./socket.js";

export { NotLinked, WhatsAppAccount } from "./account.js";
export { openSession, SessionUnreadable } from "./session.js";
export type { SocketFactory, SocketOptions, WaSocket } from "./socket.js";

export interface WhatsAppConfig {
  /** Secret the stored session is sealed with; at least 32 characters. */
  authKey: string;
  accounts: AccountSettings[];
  reconnectMinMs: number;
  reconnectMaxMs: number;
  typingRefreshMs: number;
  /** Minimum milliseconds between two sends to one chat. */
  sendPaceMs: number;
  /** Maximum sends per minute across all chats of an account. */
  sendsPerMinute: number;
  startTimeoutMs: number;
  /** Days messages are kept in the plugin's archive for quotes, reactions and downloads. */
  archiveDays: number;
}

const JIDS = {
  type: "array",
  items: { type: "string", pattern: "^[0-9-]+@(s\\.whatsapp\\.net|g\\.us|lid)$", description: "a WhatsApp JID: <phone>@s.whatsapp.net, <id>@g.us or <id>@lid" },
  default: [],
};

const DAY_MS = 86_400_000;

export interface WhatsAppPluginOptions {
  /** Makes the socket to WhatsApp; tests pass a fake. Default: Baileys. */
  connect?: SocketFactory;
}

export function whatsappPlugin(options: WhatsAppPluginOptions = {}) {
  const connect = options.connect ?? baileysSocket;

  return definePlugin<JsonSchema, WhatsAppConfig>({
    name: "whatsapp",
    version: "0.1.0",
    apiVersion: HOST_API_VERSION,
    description: "WhatsApp accounts as channels (Baileys; linked by QR or pairing code).",
    configSchema: {
      type: "object",
      additionalProperties: false,
      required: ["authKey", "accounts"],
      properties: {
        authKey: { type: "string", minLength: 32, description: "secret the stored session is sealed with, at least 32 characters (e.g. `openssl rand -base64 32`); keep it with your backups" },
        accounts: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["phone"],
            properties: {
              phone: { type: "string", pattern: "^[1-9][0-9]{6,14}$", description: "the account's phone number: country code and number, digits only, e.g. 491701234567" },
              allowChats: JIDS,
              denyChats: JIDS,
            },
          },
        },
        reconnectMinMs: { type: "integer", minimum: 10, maximum: 60_000, default: 1000 },
        reconnectMaxMs: { type: "integer", minimum: 100, maximum: 3_600_000, default: 60_000 },
        typingRefreshMs: { type: "integer", minimum: 100, maximum: 60_000, default: 10_000 },
        sendPaceMs: { type: "integer", minimum: 0, maximum: 60_000, default: 1000 },
        sendsPerMinute: { type: "integer", minimum: 1, maximum: 600, default: 40 },
        startTimeoutMs: { type: "integer", minimum: 100, maximum: 300_000, default: 20_000 },
        archiveDays: { type: "integer", minimum: 1, maximum: 3650, default: 30 },
      },
    },
    migrations: new URL("../migrations", import.meta.url),

    checkConfig(config) {
      const seen = new Map<string, number>();
      const problems = config.accounts.flatMap((account, index) => {
        const first = seen.get(account.phone);
        seen.set(account.phone, first ?? index);
        return first === undefined ? [] : [`accounts[${index}].phone: ${account.phone} is already configured at accounts[${first}]; list each account once`];
      });
      if (config.reconnectMaxMs < config.reconnectMinMs) problems.push(`reconnectMaxMs (${config.reconnectMaxMs}) is below reconnectMinMs (${config.reconnectMinMs})`);
      return problems;
    },

    doctor: checkAccounts,

    register(host, config) {
      const accounts = new Map<string, WhatsAppAccount>();
      for (const settings of config.accounts) {
        const account = new WhatsAppAccount(settings, {
          connect,
          db: host.db,
          authKey: config.authKey,
          log: host.log,
          messages: host.messages,
          reconnectMinMs: config.reconnectMinMs,
          reconnectMaxMs: config.reconnectMaxMs,
          typingRefreshMs: config.typingRefreshMs,
          rateLimits: {
            ...(config.sendPaceMs > 0 && { perChat: { messages: 1, perMs: config.sendPaceMs } }),
            perChannel: { messages: config.sendsPerMinute, perMs: 60_000 },
          },
          startTimeoutMs: config.startTimeoutMs,
        });
        accounts.set(settings.phone, account);
        host.channels.register(account.channel);
      }

      host.cli.register(whatsappCommand(accounts, connect, host.log));
      host.panels.register({ id: "whatsapp-link", title: "WhatsApp", render: () => panel([...accounts.values()]) });

      const prune = () => {
        for (const account of accounts.values()) account.archive.prune(config.archiveDays * DAY_MS);
      };
      prune();
      const timer = setInterval(prune, DAY_MS);
      timer.unref();
      host.onDispose(() => clearInterval(timer));
    },
  });
}

const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** Renders the dashboard panel: each account's state, and the QR code or pairing code of a link in progress. */
async function panel(accounts: WhatsAppAccount[]): Promise<string> {
  const rows = await Promise.all(
    accounts.map(async (account) => {
      const link = account.pendingLink;
      let state = account.connected ? "connected" : "not connected";
      if (link) state = "waiting for the phone";
      const code = link?.code ? `<p>Pairing code: <strong>${escape(link.code)}</strong></p>` : "";
      const qr = link?.qr && !link.code ? `<figure>${await qrSvg(link.qr)}<figcaption>Scan with WhatsApp → Linked devices</figcaption></figure>` : "";
      return `<section><h3>+${escape(account.phone)}</h3><p>${escape(state)}</p>${code}${qr}</section>`;
    }),
  );
  return rows.join("\n");
}

export default whatsappPlugin();
