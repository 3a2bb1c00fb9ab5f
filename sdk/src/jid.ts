/**
 * JIDs: the one way arizuko names chats, senders and groups speaking for themselves.
 *
 *   chat      `<platform>:<account>/<chat>`  e.g. `telegram:600000001/-1001000000001`
 *   sender    `<platform>:<user>`            e.g. `telegram:111`
 *   local     `local:<folder>`               a group speaking, e.g. `local:acme/support`
 *
 * `account` is the platform's stable id of the bot or account (a Telegram bot id, a
 * Discord application id, a WhatsApp phone number, the web chat's instance name).
 * The chat part is the whole rest after the first `/` and may itself contain `/`.
 * Parsing dispatches on the platform first: `local` has its own rules, every other
 * platform uses the chat/sender forms. No other module splits JID strings.
 */
import { ArizukoError } from "./errors.js";
import { isValidFolder } from "./groups.js";

export interface ChatJid {
  kind: "chat";
  platform: string;
  /** The platform's stable id of the bot or account that sees this chat. */
  account: string;
  /** The platform's id of the chat; may contain `/`. */
  chat: string;
}

export interface SenderJid {
  kind: "sender";
  platform: string;
  /** The platform's id of the person; the same person is the same sender across bots. */
  user: string;
}

export interface LocalJid {
  kind: "local";
  /** Group folder, e.g. `acme/support`. */
  folder: string;
}

export type Jid = ChatJid | SenderJid | LocalJid;

/** Longest JID accepted, in UTF-16 code units. */
export const MAX_JID_LENGTH = 512;

const PLATFORM_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
// Whitespace, control and invisible format characters (zero-width, bidi) never belong in an id.
const FORBIDDEN_CHARACTERS = /[\s\p{Cc}\p{Cf}]/u;

const FORMS = "`<platform>:<account>/<chat>`, `<platform>:<user>` or `local:<folder>`";

/** Quotes a rejected value with every invisible or control character shown as `\uXXXX`, so it cannot reorder a log line. */
function quote(value: string): string {
  return JSON.stringify(value).replace(/[\p{Cc}\p{Cf}]/gu, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export class JidError extends ArizukoError {
  constructor(value: string, problem: string) {
    // Always a problem with the caller's input, so a route handler responds 400.
    super("ARZ_ERR_INVALID_JID", `invalid JID ${quote(value)}: ${problem}; expected ${FORMS}`, { statusCode: 400 });
  }
}

function rejectLocal(platform: string, value: string): void {
  if (platform === "local") throw new JidError(value, "the platform `local` is reserved for groups; build those JIDs with localJid(folder)");
}

/** Parses any JID, dispatching on its platform. Throws `JidError` naming the problem. */
export function parseJid(value: string): Jid {
  if (typeof value !== "string" || value.length === 0) throw new JidError(String(value), "empty");
  if (value.length > MAX_JID_LENGTH) throw new JidError(value.slice(0, 40) + "…", `longer than ${MAX_JID_LENGTH} characters`);

  const colon = value.indexOf(":");
  if (colon < 0) throw new JidError(value, "missing `:` after the platform");
  const platform = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  if (!PLATFORM_PATTERN.test(platform)) {
    throw new JidError(value, `platform ${JSON.stringify(platform)} must match ${PLATFORM_PATTERN.source}`);
  }

  if (platform === "local") return parseLocal(value, rest);
  if (FORBIDDEN_CHARACTERS.test(rest)) throw new JidError(value, "contains whitespace or control characters");

  const slash = rest.indexOf("/");
  if (slash < 0) {
    if (rest.length === 0) throw new JidError(value, "the user part is empty");
    return { kind: "sender", platform, user: rest };
  }

  const account = rest.slice(0, slash);
  const chat = rest.slice(slash + 1);
  if (account.length === 0) throw new JidError(value, "the account part is empty");
  if (chat.length === 0) throw new JidError(value, "the chat part is empty");
  return { kind: "chat", platform, account, chat };
}

function parseLocal(value: string, folder: string): LocalJid {
  if (!isValidFolder(folder)) {
    throw new JidError(value, "the folder must be 1-4 segments of [a-z0-9][a-z0-9_-]{0,63} joined by `/`");
  }
  return { kind: "local", folder };
}

/** Parses a JID or returns null; for filters and guards, never for input that must be valid. */
export function tryParseJid(value: string): Jid | null {
  try {
    return parseJid(value);
  } catch {
    return null;
  }
}

export function parseChatJid(value: string): ChatJid {
  const jid = parseJid(value);
  if (jid.kind !== "chat") throw new JidError(value, "a chat JID needs `<platform>:<account>/<chat>`");
  return jid;
}

/** Parses the JID of whoever sent a message: a platform sender or `local:<folder>`. */
export function parseSenderJid(value: string): SenderJid | LocalJid {
  const jid = parseJid(value);
  if (jid.kind === "chat") throw new JidError(value, "a sender JID has no `/<chat>` part");
  return jid;
}

export function isChatJid(value: string): boolean {
  return tryParseJid(value)?.kind === "chat";
}

export function formatJid(jid: Jid): string {
  switch (jid.kind) {
    case "chat":
      return chatJid(jid.platform, jid.account, jid.chat);
    case "sender":
      return senderJid(jid.platform, jid.user);
    case "local":
      return localJid(jid.folder);
  }
}

/** Builds and validates a chat JID. */
export function chatJid(platform: string, account: string, chat: string): string {
  const value = `${platform}:${account}/${chat}`;
  rejectLocal(platform, value);
  const parsed = parseJid(value);
  if (parsed.kind !== "chat" || parsed.account !== account) {
    throw new JidError(value, "the account part must not contain `/`");
  }
  return value;
}

/** Builds and validates a sender JID. */
export function senderJid(platform: string, user: string): string {
  const value = `${platform}:${user}`;
  rejectLocal(platform, value);
  const parsed = parseJid(value);
  if (parsed.kind !== "sender") throw new JidError(value, "the user part must not contain `/`");
  return value;
}

/** Builds the sender JID a group uses when it speaks or delegates. */
export function localJid(folder: string): string {
  const value = `local:${folder}`;
  parseJid(value);
  return value;
}

/** The prefix a channel claims for one account: `<platform>:<account>/`. */
export function chatPrefix(platform: string, account: string): string {
  return chatJid(platform, account, "x").slice(0, -1);
}

/** True when `jid` is a chat JID under `prefix` (`<platform>:<account>/`). */
export function hasPrefix(jid: string, prefix: string): boolean {
  return jid.startsWith(prefix) && jid.length > prefix.length;
}
