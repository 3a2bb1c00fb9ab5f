/** The JSON shape of a message in the web API and its SSE stream. */
import type { StoredMessage } from "@arizuko/sdk";

export interface WebMessage {
  /** The client's id for its own messages; arizuko's id for agent and host messages (use it as reply_to). */
  id: string;
  seq: number;
  /** Chat name, as in the URL. */
  chat: string;
  sender: string;
  sender_name: string | null;
  text: string;
  from_agent: boolean;
  kind: string;
  group: string | null;
  topic: string;
  reply_to: string | null;
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
    from_agent: outbound,
    kind: message.kind,
    group: message.group,
    topic: message.topic,
    reply_to: message.replyTo,
    ts: message.ts,
  };
}
