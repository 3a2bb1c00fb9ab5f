/**
 * The run batch and its framed prompt. Every user-controlled string (names, texts,
 * file names, notes) is escaped as XML, and newlines in attributes and bidi or control
 * characters anywhere are removed, so no message can close the host's framing or
 * pose as host-written text.
 */
import type { BatchMessage, EnrichedFile } from "@arizuko/sdk";
import type { MessageRecord } from "../store/messages.js";

// C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding, override and isolate marks.
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function clean(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, "");
}

export function escapeText(text: string): string {
  return clean(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function escapeAttribute(text: string): string {
  return escapeText(text.replace(/[\r\n\t]+/g, " ")).replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

export function toBatchMessage(record: MessageRecord): BatchMessage {
  return {
    id: record.id,
    seq: record.seq,
    sender: record.sender,
    sender_name: record.senderName,
    text: record.routeText ?? record.text,
    kind: record.kind,
    from_agent: record.direction === "out",
    reply_to: record.replyTo,
    time: new Date(record.ts).toISOString(),
    notes: record.notes,
    files: filesOf(record),
  };
}

/** Returns the enriched files of a message, or its bare attachments (not stored) when no enricher ran. */
function filesOf(record: MessageRecord): EnrichedFile[] {
  if (record.files.length > 0) return record.files;
  return record.attachments.map((attachment) => ({ name: attachment.name ?? "", mime: attachment.mime, size: attachment.size ?? null, path: null }));
}

/**
 * Renders a file as an element whose every attribute is escaped: a crafted file name
 * cannot close the element or the message around it.
 */
function renderFile(file: EnrichedFile): string {
  const attributes = [
    `name="${escapeAttribute(file.name)}"`,
    `mime="${escapeAttribute(file.mime)}"`,
    file.size !== null ? `size="${file.size}"` : null,
    file.path !== null ? `path="${escapeAttribute(file.path)}"` : null,
    file.error !== undefined ? `error="${escapeAttribute(file.error)}"` : null,
  ].filter((attribute) => attribute !== null);
  const transcript = file.transcript !== undefined ? `<transcript>${escapeText(file.transcript)}</transcript>` : "";
  return transcript ? `\n<attachment ${attributes.join(" ")}>${transcript}</attachment>` : `\n<attachment ${attributes.join(" ")}/>`;
}

function renderMessage(message: BatchMessage): string {
  const attributes = [
    `id="${escapeAttribute(message.id)}"`,
    `sender="${escapeAttribute(message.sender)}"`,
    message.sender_name ? `sender_name="${escapeAttribute(message.sender_name)}"` : null,
    `time="${escapeAttribute(message.time)}"`,
    message.kind !== "message" ? `kind="${escapeAttribute(message.kind)}"` : null,
    message.from_agent ? `from="agent"` : null,
    message.reply_to ? `reply_to="${escapeAttribute(message.reply_to)}"` : null,
  ].filter((attribute) => attribute !== null);

  const notes = message.notes.map((note) => `\n<note>${escapeText(note)}</note>`).join("");
  const files = (message.files ?? []).map(renderFile).join("");
  return `<message ${attributes.join(" ")}>${escapeText(message.text)}${files}${notes}</message>`;
}

/**
 * Frames a batch for the model: earlier chatter and replies inside `<context>` (for
 * reference only), the messages to answer inside `<messages>`.
 */
export function buildPrompt(messages: BatchMessage[], context: BatchMessage[]): string {
  const parts: string[] = [];
  if (context.length > 0) parts.push(`<context>\n${context.map(renderMessage).join("\n")}\n</context>`);
  parts.push(`<messages>\n${messages.map(renderMessage).join("\n")}\n</messages>`);
  return parts.join("\n");
}
