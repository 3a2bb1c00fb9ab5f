/**
 * The adapters' wire format and arizuko's, both ways. Adapters name chats without an
 * account (`telegram:group/100123`, `whatsapp:1203…@g.us`); arizuko's chat JIDs carry
 * one, the adapter's account: `telegram:<account>/group/100123`. Sender JIDs cannot
 * contain `/`, so `telegram:user/555` becomes `telegram:user:555`.
 */
import type { Attachment, AttachmentKind, InboundMessage, Verb } from "@arizuko/sdk";

/** A problem with a request body; the route responds 400 `{ ok: false, error }`. */
export class WireError extends Error {}

export interface AdapterIdentity {
  name: string;
  account: string;
  /** The adapter's prefixes as it registered them, e.g. `telegram:`. */
  jidPrefixes: string[];
}

/** Maximum text length accepted from an adapter, in characters. */
const MAX_TEXT = 100_000;
const NEGATIVE_VERBS = new Set(["like", "dislike"]);

type Body = Record<string, unknown>;

function field(body: Body, name: string, type: "string" | "number" | "boolean" | "array" | "object", required: boolean): unknown {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new WireError(`missing field ${name}`);
    return undefined;
  }
  const actual = Array.isArray(value) ? "array" : typeof value;
  if (actual !== type) throw new WireError(`field ${name} must be a ${type}, got ${actual}`);
  return value;
}

const text = (body: Body, name: string, required = false) => field(body, name, "string", required) as string | undefined;

/** Splits an adapter JID into its platform and the rest, checking it is one of the adapter's. */
function adapterJid(adapter: AdapterIdentity, jid: string, name: string): { platform: string; rest: string } {
  const prefix = adapter.jidPrefixes.find((candidate) => jid.startsWith(candidate));
  if (!prefix) throw new WireError(`${name} ${JSON.stringify(jid)} is outside this adapter's prefixes (${adapter.jidPrefixes.join(", ")})`);
  const colon = jid.indexOf(":");
  const rest = jid.slice(colon + 1);
  if (rest.length === 0) throw new WireError(`${name} ${JSON.stringify(jid)} has nothing after the platform`);
  return { platform: jid.slice(0, colon), rest };
}

/** `telegram:group/100123` → `telegram:<account>/group/100123`. */
export function toChatJid(adapter: AdapterIdentity, jid: string): string {
  const { platform, rest } = adapterJid(adapter, jid, "chat_jid");
  return `${platform}:${adapter.account}/${rest}`;
}

/** `telegram:<account>/group/100123` → `telegram:group/100123`, or null when it is not the adapter's. */
export function toAdapterJid(adapter: AdapterIdentity, chat: string): string | null {
  const colon = chat.indexOf(":");
  const platform = chat.slice(0, colon);
  const prefix = `${platform}:${adapter.account}/`;
  if (!chat.startsWith(prefix)) return null;
  return `${platform}:${chat.slice(prefix.length)}`;
}

/** `telegram:user/555` → `telegram:user:555`. */
export function toSenderJid(adapter: AdapterIdentity, jid: string): string {
  const { platform, rest } = adapterJid(adapter, jid, "sender");
  return `${platform}:${rest.replaceAll("/", ":")}`;
}

function kindOf(mime: string): AttachmentKind {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("audio/ogg")) return "voice";
  if (mime.startsWith("audio/")) return "audio";
  if (mime.startsWith("video/")) return "video";
  return "file";
}

/** Inline file bytes the body carried, to be stored before the message. */
export interface InlineFile {
  data: Buffer;
  mime: string;
  name: string | undefined;
}

function attachments(body: Body): { refs: Array<Omit<Attachment, "ref"> & { ref?: string }>; inline: InlineFile[] } {
  const refs: Array<Omit<Attachment, "ref"> & { ref?: string }> = [];
  const inline: InlineFile[] = [];

  // WhatsApp's adapter sends one file as flat fields, in base64.
  const flat = text(body, "attachment");
  if (flat !== undefined && flat.length > 0) {
    const mime = text(body, "attachment_mime") ?? "application/octet-stream";
    const name = text(body, "attachment_name");
    const data = Buffer.from(flat, "base64");
    inline.push({ data, mime, name });
    refs.push({ kind: kindOf(mime), mime, size: data.length, ...(name && { name }) });
  }

  const list = (field(body, "attachments", "array", false) as unknown[] | undefined) ?? [];
  list.forEach((item, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new WireError(`attachments[${index}] must be an object`);
    const entry = item as Body;
    const mime = text(entry, "mime") || "application/octet-stream";
    const name = text(entry, "filename");
    const size = field(entry, "size", "number", false) as number | undefined;
    const url = text(entry, "url");
    const data = text(entry, "data");
    if (data) {
      const bytes = Buffer.from(data, "base64");
      inline.push({ data: bytes, mime, name });
      refs.push({ kind: kindOf(mime), mime, size: bytes.length, ...(name && { name }) });
    } else if (url) {
      refs.push({ kind: kindOf(mime), mime, ...(size && { size }), ...(name && { name }), ref: url });
    } else {
      throw new WireError(`attachments[${index}] has neither url nor data`);
    }
  });
  return { refs, inline };
}

function verbOf(raw: string | undefined, replyTo: string | undefined): Verb {
  if (raw === "mention" || raw === "join") return raw;
  if (raw === "reply" || ((raw === undefined || raw === "" || raw === "message") && replyTo !== undefined)) return "reply";
  return "message";
}

/**
 * Reads an adapter's inbound body. Returns the message (attachments whose bytes came
 * inline have no `ref` yet) and those bytes. Throws WireError naming the bad field.
 */
export function parseInbound(adapter: AdapterIdentity, value: unknown): { message: InboundMessage; inline: InlineFile[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new WireError("the body must be a JSON object");
  const body = value as Body;

  const id = text(body, "id", true)!;
  if (id.length === 0 || id.length > 512) throw new WireError("field id must be 1 to 512 characters");
  const chat = toChatJid(adapter, text(body, "chat_jid", true)!);
  const sender = toSenderJid(adapter, text(body, "sender", true)!);
  const content = text(body, "content", true)!;
  if (content.length > MAX_TEXT) throw new WireError(`field content is longer than ${MAX_TEXT} characters`);
  const timestamp = field(body, "timestamp", "number", false) as number | undefined;
  if (timestamp !== undefined && (!Number.isFinite(timestamp) || timestamp < 0)) throw new WireError("field timestamp must be Unix seconds");
  const senderName = text(body, "sender_name");
  const topic = text(body, "topic");
  const replyTo = text(body, "reply_to") || undefined;
  const verb = text(body, "verb");
  const reaction = text(body, "reaction");
  const isGroup = field(body, "is_group", "boolean", false) as boolean | undefined;
  const chatName = text(body, "chat_name");
  const files = attachments(body);

  // The message id is arizuko's platform id; `#` separates event suffixes there.
  const platformId = id.replaceAll("#", "%23");
  const base = {
    chat,
    platformId,
    sender,
    ...(senderName && { senderName: senderName.slice(0, 256) }),
    ...(timestamp && { ts: Math.round(timestamp * 1000) }),
    ...(topic && { topic }),
    ...(chatName && { chatName: chatName.slice(0, 256) }),
    // Go adapters leave is_group out when false.
    direct: isGroup !== true,
  };

  if (verb !== undefined && NEGATIVE_VERBS.has(verb)) {
    if (!replyTo) throw new WireError(`a ${verb} needs reply_to, the id of the message reacted to`);
    const target = replyTo.replaceAll("#", "%23");
    const emoji = reaction || content;
    // The adapters' reaction ids leave out the sender, so two people's 👍 would collide.
    return { message: { ...base, platformId: `${target}#${sender}#${emoji}`, kind: "reaction", verb: "reaction", target, text: emoji }, inline: [] };
  }
  if (verb === "edit") {
    if (!replyTo) throw new WireError("an edit needs reply_to, the id of the message edited");
    const target = replyTo.replaceAll("#", "%23");
    return { message: { ...base, platformId: `${target}#${platformId}`, kind: "edit", verb: "edit", target, text: content }, inline: [] };
  }

  const message: InboundMessage = {
    ...base,
    verb: verbOf(verb, replyTo),
    text: content,
    ...(replyTo && { replyTo: replyTo.replaceAll("#", "%23") }),
    ...(files.refs.length > 0 && { attachments: files.refs as Attachment[] }),
  };
  return { message, inline: files.inline };
}

/** Reads a registration body. */
export function parseRegistration(value: unknown): { name: string; url: string; jidPrefixes: string[]; capabilities: Record<string, boolean>; account: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new WireError("the body must be a JSON object");
  const body = value as Body;
  const name = text(body, "name", true)!;
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw new WireError("field name must be 1-64 characters of a-z, 0-9 and -, starting with a letter");
  const url = text(body, "url", true)!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WireError(`field url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new WireError("field url must be http or https");
  const prefixes = field(body, "jid_prefixes", "array", true) as unknown[];
  if (prefixes.length === 0 || !prefixes.every((prefix) => typeof prefix === "string" && /^[a-z][a-z0-9-]{0,31}:$/.test(prefix))) {
    throw new WireError('field jid_prefixes must list platform prefixes such as "telegram:"');
  }
  const capabilities: Record<string, boolean> = {};
  for (const [key, flag] of Object.entries((field(body, "capabilities", "object", false) as Body | undefined) ?? {})) capabilities[key] = flag === true;
  const account = text(body, "account") ?? name;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(account)) throw new WireError("field account must be 1-64 characters of letters, digits, . _ and -");
  return { name, url: url.replace(/\/+$/, ""), jidPrefixes: prefixes as string[], capabilities, account };
}
