/**
 * `arizuko whatsapp …`: link a phone (QR or pairing code), unlink it, and show each
 * account's state. In a running instance a new link is taken up at once; without one
 * the session is stored and used at the next start.
 */
import { ArizukoError, type CliCommand } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { WhatsAppAccount } from "./account.js";
import { linkAccount } from "./link.js";
import type { SocketFactory } from "./socket.js";

/** How long a link waits for the phone by default; WhatsApp stops handing out QR codes before that (an estimate: 60 s, then 20 s per new code). */
const DEFAULT_LINK_TIMEOUT_S = 180;

const usage = (message: string) => new ArizukoError("ARZ_ERR_WHATSAPP_USAGE", message, { statusCode: 400 });

/** Returns whether the account has a usable session; an unreadable one counts as none, so a new link can replace it. */
function linked(account: WhatsAppAccount): boolean | "unreadable" {
  try {
    return account.session.linked();
  } catch {
    return "unreadable";
  }
}

function pick(accounts: Map<string, WhatsAppAccount>, phone: string | undefined): WhatsAppAccount {
  const configured = [...accounts.keys()].join(", ");
  if (phone === undefined) {
    if (accounts.size === 1) return [...accounts.values()][0]!;
    throw usage(`several WhatsApp accounts are configured (${configured}); name the phone number`);
  }
  const account = accounts.get(phone.replace(/^\+/, ""));
  if (!account) throw usage(`no WhatsApp account ${phone} in the config; configured: ${configured}`);
  return account;
}

export function whatsappCommand(accounts: Map<string, WhatsAppAccount>, connect: SocketFactory, log: Logger): CliCommand {
  const phoneArgument = { name: "phone", description: "the account's phone number, as in the config (optional with one account)", required: false };

  return {
    name: "whatsapp",
    description: "link, unlink and list WhatsApp accounts",
    subcommands: [
      {
        name: "login",
        description: "link a phone to an account by QR code (or pairing code)",
        arguments: [phoneArgument],
        options: [
          { flags: "--pairing-code", description: "show a code to type on the phone instead of a QR code", default: false },
          { flags: "--timeout <seconds>", description: "how long to wait for the phone", default: String(DEFAULT_LINK_TIMEOUT_S) },
        ],
        async run({ args, options, print, offline }) {
          const account = pick(accounts, args[0] as string | undefined);
          if (linked(account) === true) {
            throw usage(`WhatsApp account ${account.phone} is already linked; run \`arizuko whatsapp logout ${account.phone}\` first to link another phone`);
          }
          const seconds = Number(options.timeout);
          if (!Number.isInteger(seconds) || seconds < 10 || seconds > 3600) throw usage(`--timeout must be a whole number of seconds from 10 to 3600, not ${String(options.timeout)}`);

          account.linking("waiting for a phone to link (arizuko whatsapp login)");
          const device = await linkAccount(account, connect, { pairingCode: options.pairingCode === true, print, timeoutMs: seconds * 1000, log });
          account.resume();
          // A channel that failed at start does not start again in this process.
          let next = "connecting now";
          if (!account.running) next = offline ? "start arizuko to connect" : "restart arizuko to connect this account";
          return `linked ${account.phone} (${device}); ${next}`;
        },
      },
      {
        name: "logout",
        description: "unlink an account: log out on WhatsApp and delete its stored session",
        arguments: [phoneArgument],
        async run({ args }) {
          const account = pick(accounts, args[0] as string | undefined);
          if (linked(account) === false) return `WhatsApp account ${account.phone} is not linked; nothing to do`;
          const failure = await account.logout();
          if (failure === null) return `WhatsApp account ${account.phone} logged out on WhatsApp and its session deleted`;
          return `WhatsApp account ${account.phone}: its session is deleted here, but WhatsApp could not be reached (${failure}); remove the device on the phone under Linked devices`;
        },
      },
      {
        name: "status",
        description: "show each account: linked or not, connected or not",
        run() {
          return [...accounts.values()]
            .map((account) => {
              const state = linked(account);
              if (state === "unreadable") return `${account.phone}  session unreadable with this authKey (restore the key, or logout and login again)`;
              if (!state) return `${account.phone}  not linked (arizuko whatsapp login ${account.phone})`;
              return `${account.phone}  linked, ${account.connected ? "connected" : "not connected"}`;
            })
            .join("\n");
        },
      },
    ],
  };
}
