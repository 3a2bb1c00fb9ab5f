/**
 * Turns a message Baileys upserted into what the host stores. Edits, reactions and
 * revokes arrive as messages of their own (a protocol or reaction message pointing at
 * the original), and Baileys' event buffer may fold the separate update events into
 * the original, so everything is read from the upserted messages alone.
 */
import type { Attachment, AttachmentKind, InboundMessage, Verb } from "@arizuko/sdk";
import { getContentType, jidNormalizedUser, normalizeMessageContent, proto, toNumber, type WAMessage } from "baileys";

/** The meaning of one upserted message, before JIDs are mapped to arizuko's. */
export type WaContent =
  | { kind: "message"; text: string; context: proto.IContextInfo | null; attachments: Attachment[] }
  | { kind: "edit"; target: string; text: string }
  | { kind: "reaction"; target: string; emoji: string }
  | { kind: "revoke"; target: string };

const MEDIA: Record<string, AttachmentKind> = {
  imageMessage: "image",
  videoMessage: "video",
  ptvMessage: "video",
  audioMessage: "audio",
  documentMessage: "file",
  stickerMessage: "sticker",
};

/** Message types that carry nothing a person wrote (key shares, sync notices); skipped quietly. */
const SILENT = new Set(["protocolMessage", "senderKeyDistributionMessage", "messageContextInfo", "keepInChatMessage", "pinInChatMessage", "encReactionMessage", "pollUpdateMessage"]);

type MediaMessage = proto.Message.IImageMessage & proto.Message.IDocumentMessage & proto.Message.IAudioMessage & { contextInfo?: proto.IContextInfo | null };

/** The attachment reference `fetchAttachment` takes: the message id. */
export const attachmentRef = (messageId: string) => messageId;

/** Reads the text of a message's content: the conversation, the extended text, or a media caption. */
export function textOf(content: proto.IMessage): string {
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    ""
  );
}

function describeOther(type: string, content: proto.IMessage): string | null {
  if (content.locationMessage) {
    const { degreesLatitude: lat, degreesLongitude: lon, name } = content.locationMessage;
    return `[location ${lat ?? "?"},${lon ?? "?"}${name ? ` ${name}` : ""}]`;
  }
  if (content.contactMessage) return `[contact ${content.contactMessage.displayName ?? ""}]`.replace(" ]", "]");
  if (content.pollCreationMessage || content.pollCreationMessageV3) {
    const poll = content.pollCreationMessage ?? content.pollCreationMessageV3!;
    return `[poll ${poll.name ?? ""}: ${(poll.options ?? []).map((option) => option.optionName).join(" / ")}]`;
  }
  return SILENT.has(type) ? null : `[a WhatsApp ${type.replace(/Message$/, "")} message, which arizuko cannot show]`;
}

function attachmentOf(type: string, media: MediaMessage, messageId: string): Attachment {
  const kind = type === "audioMessage" && media.ptt ? "voice" : MEDIA[type]!;
  return {
    kind,
    mime: media.mimetype ?? "application/octet-stream",
    ...(media.fileLength != null && { size: toNumber(media.fileLength) }),
    ...(media.fileName && { name: media.fileName }),
    ref: attachmentRef(messageId),
  };
}

/** Classifies one upserted message; null for one that carries nothing to store. */
export function readMessage(message: WAMessage): WaContent | null {
  const content = normalizeMessageContent(message.message);
  if (!content) return null; // a stub, or a message that failed to decrypt and will come again

  const protocol = content.protocolMessage;
  if (protocol?.key?.id) {
    if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && protocol.editedMessage) {
      return { kind: "edit", target: protocol.key.id, text: textOf(normalizeMessageContent(protocol.editedMessage) ?? {}) };
    }
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) return { kind: "revoke", target: protocol.key.id };
    return null;
  }
  const reaction = content.reactionMessage;
  if (reaction?.key?.id) return { kind: "reaction", target: reaction.key.id, emoji: reaction.text ?? "" };

  const type = getContentType(content);
  if (!type) return null;
  const inner = content[type] as MediaMessage | string | null | undefined;
  const context = typeof inner === "object" && inner ? (inner.contextInfo ?? null) : null;
  const attachments = type in MEDIA && typeof inner === "object" && inner ? [attachmentOf(type, inner, message.key.id!)] : [];

  let text = textOf(content);
  if (!text && attachments.length === 0) {
    const other = describeOther(type, content);
    if (other === null) return null;
    text = other;
  }
  return { kind: "message", text, context, attachments };
}

/** Our account as mentions and quotes name it: the phone JID and the LID, without devices. */
export interface Me {
  pn: string;
  lid: string | null;
}

export function isMe(me: Me, jid: string | null | undefined): boolean {
  if (!jid) return false;
  const user = jidNormalizedUser(jid);
  return user === me.pn || (me.lid !== null && user === me.lid);
}

/** Returns the verb of a message: a reply to us, a mention of us (or any message in a direct chat), or plain. */
export function verbOf(me: Me, context: proto.IContextInfo | null, direct: boolean): Verb {
  if (context?.stanzaId && isMe(me, context.participant)) return "reply";
  if (direct || (context?.mentionedJid ?? []).some((jid) => isMe(me, jid))) return "mention";
  return "message";
}

export interface Addressing {
  /** Chat JID in arizuko's form, `whatsapp:<account>/<jid>`. */
  chat: string;
  /** Sender JID in arizuko's form, `whatsapp:<jid>`. */
  sender: string;
  senderName?: string;
  direct: boolean;
  chatName?: string;
}

/** Builds the host's message from the content and the mapped JIDs; null for a revoke or a removed reaction. */
export function toInbound(message: WAMessage, content: WaContent, address: Addressing, me: Me): InboundMessage | null {
  const id = message.key.id!;
  const base = {
    chat: address.chat,
    sender: address.sender,
    ...(address.senderName && { senderName: address.senderName }),
    ...(address.chatName && { chatName: address.chatName }),
    direct: address.direct,
    ts: toNumber(message.messageTimestamp ?? 0) * 1000 || Date.now(),
  };

  switch (content.kind) {
    case "message": {
      const replyTo = content.context?.stanzaId ?? undefined;
      return {
        ...base,
        platformId: id,
        verb: verbOf(me, content.context, address.direct),
        text: content.text,
        ...(replyTo && { replyTo }),
        ...(content.attachments.length > 0 && { attachments: content.attachments }),
      };
    }
    case "edit":
      // The edit's own message id names the revision, so a redelivered edit is one row.
      return { ...base, platformId: `${content.target}#${id}`, kind: "edit", verb: "edit", target: content.target, text: content.text };
    case "reaction":
      if (content.emoji === "") return null;
      return { ...base, platformId: `${content.target}#${address.sender}#${content.emoji}`, kind: "reaction", verb: "reaction", target: content.target, text: content.emoji };
    case "revoke":
      return null;
  }
}
