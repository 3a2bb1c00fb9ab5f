/** The JSON shape of a message in the web API and its SSE stream. */
import type { StoredMessage } from "@arizuko/sdk";
import { renderMarkdown } from "./markdown.js";

export interface WebAttachment {
  id: string;
  name: string | null;
  mime: string;
  size: number | null;
  kind: string;
  /** URL from which the chat's owner downloads it. */
  url: string;
}

export interface WebMessage {
  /** The client's id for its own messages; arizuko's id for agent and host messages (use it as reply_to). */
  id: string;
  seq: number;
  /** Chat name, as in the URL. */
  chat: string;
  sender: string;
  sender_name: string | null;
  text: string;
  /** `text` as Markdown rendered to safe HTML: no markup from the text itself, only safe links. */
  html: string;
  from_agent: boolean;
  kind: string;
  group: string | null;
  topic: string;
  reply_to: string | null;
  attachments: WebAttachment[];
  /** Milliseconds since the Unix epoch. */
  ts: number;
}

export function toWebMessage(message: StoredMessage, chat: string): WebMessage {
  const outbound = message.direction === "out";
  return {
    id: outbound ? message.id : message.platformId,
    seq: message.seq,
    chat,
    sender: message.sender,
    sender_name: message.senderName,
    text: message.text,
    html: renderMarkdown(message.text),
    from_agent: outbound,
    kind: message.kind,
    group: message.group,
    topic: message.topic,
    reply_to: message.replyTo,
    attachments: message.attachments.map((attachment) => ({
      id: attachment.ref,
      name: attachment.name ?? null,
      mime: attachment.mime,
      size: attachment.size ?? null,
      kind: attachment.kind,
      url: `/web/chats/${encodeURIComponent(chat)}/files/${encodeURIComponent(attachment.ref)}`,
    })),
    ts: message.ts,
  };
}
