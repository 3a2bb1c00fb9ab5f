/**
 * The `afterDelete` event for messages the prune or a purge deleted, so plugins delete
 * what they keep for them (the web chat's uploaded files, named by an attachment's `ref`).
 */
import type { AfterDeleteEvent, Attachment } from "@arizuko/sdk";
import type { MessageRef } from "../store/purge.js";

/** Receives each batch of deleted messages, after the transaction that deleted them. */
export type DeletedSink = (reason: AfterDeleteEvent["reason"], messages: MessageRef[]) => void;

/** Parses an `attachments` column; a value that is not a JSON array counts as none. */
function attachmentsOf(column: string | null): Attachment[] {
  if (column === null) return [];
  try {
    const parsed: unknown = JSON.parse(column);
    return Array.isArray(parsed) ? (parsed as Attachment[]) : [];
  } catch {
    return [];
  }
}

/** Builds the event for a batch of deleted messages. */
export function deleteEvent(reason: AfterDeleteEvent["reason"], messages: MessageRef[]): AfterDeleteEvent {
  return { reason, messages: messages.map((message) => ({ seq: message.seq, chat: message.chat, attachments: attachmentsOf(message.attachments) })) };
}
