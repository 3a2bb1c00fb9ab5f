/**
 * Tools that talk in chats: `send`, `reply`, `send_file`, `react`, `edit`, `delete`.
 * Text goes through the outbox like any agent reply (split to the channel's limit,
 * delivered in order, retried); reactions, edits and deletions act at once.
 */
import type { ToolContext, ToolSpec } from "@arizuko/sdk";
import { Type } from "typebox";
import { groupFile } from "./files.js";
import { channelFor, channelWith, findMessage, platformIdOf, ToolFailure, type ToolKit } from "./kit.js";

const Chat = Type.String({ minLength: 1, description: "Chat JID, <platform>:<account>/<chat>, e.g. telegram:600000001/-1001000000007" });
const MessageRef = Type.String({ minLength: 1, description: "A message id from the prompt (msg_…) or the platform's id" });
const Text = Type.String({ minLength: 1, maxLength: 100_000, description: "Markdown text" });

/** Resolves a reply target: a stored message's platform id, or a platform id the store does not have (passed on). */
function replyTarget(kit: ToolKit, chat: string, ref: string | undefined): string | null {
  if (ref === undefined) return null;
  const known = ref.startsWith("msg_") ? findMessage(kit, chat, ref) : kit.store.messages.findByPlatformId(chat, ref);
  return known ? platformIdOf(kit, known) : ref;
}

/** Returns the platform thread for a chat: the run's own thread in the run's chat, else the given topic. */
function threadFor(context: ToolContext, chat: string, topic: string | undefined): { topic: string; routeTopic: string } {
  if (topic !== undefined) return { topic, routeTopic: topic };
  if (chat === context.chat) return { topic: context.thread, routeTopic: context.topic };
  return { topic: "", routeTopic: "" };
}

function stored(rows: Array<{ id: string }>) {
  return { sent: rows.length, message_ids: rows.map((row) => row.id) };
}

export function messagingTools(kit: ToolKit): ToolSpec[] {
  const send: ToolSpec = {
    name: "send",
    description:
      "Send a message to any chat this group may reach (grants decide which), e.g. to tell another chat about this one. " +
      "To answer in this run's own chat use reply; to send a file use send_file.",
    inputSchema: Type.Object(
      {
        chat: Chat,
        text: Text,
        topic: Type.Optional(Type.String({ description: "Platform thread in that chat; default none (the run's thread when chat is this run's chat)" })),
        reply_to: Type.Optional(MessageRef),
      },
      { additionalProperties: false },
    ),
    run(args, context) {
      const chat = String(args.chat);
      channelFor(kit, chat);
      const { topic, routeTopic } = threadFor(context, chat, args.topic as string | undefined);
      const replyTo = replyTarget(kit, chat, args.reply_to as string | undefined);
      return stored(kit.outbound.reply({ chat, topic, routeTopic, text: String(args.text), group: context.group, runId: context.runId, replyTo }));
    },
  };

  const reply: ToolSpec = {
    name: "reply",
    description:
      "Answer in this run's chat and thread, as a reply to message_id or, when it is left out, to the newest message of the run. " +
      "For any other chat use send.",
    inputSchema: Type.Object({ text: Text, message_id: Type.Optional(MessageRef) }, { additionalProperties: false }),
    // Grants see the run's chat, so `reply(platform=P)` rules hold.
    defaults: (context) => ({ chat: context.chat }),
    run(args, context) {
      const replyTo = args.message_id === undefined ? context.latestMessage : replyTarget(kit, context.chat, String(args.message_id));
      return stored(kit.outbound.reply({ chat: context.chat, topic: context.thread, routeTopic: context.topic, text: String(args.text), group: context.group, runId: context.runId, replyTo }));
    },
  };

  const sendFile: ToolSpec = {
    name: "send_file",
    description:
      "Send a file from this group's folder (a relative path such as media/report.pdf; dot-folders and files outside the folder are refused) " +
      "to this run's chat or another chat, with an optional caption. For text only use reply or send.",
    inputSchema: Type.Object(
      { path: Type.String({ minLength: 1, description: "Path relative to the group folder" }), caption: Type.Optional(Type.String({ maxLength: 100_000 })), chat: Type.Optional(Chat) },
      { additionalProperties: false },
    ),
    defaults: (context) => ({ chat: context.chat }),
    run(args, context) {
      const chat = String(args.chat);
      // The path first: its problems are the agent's to fix whatever the channel.
      const file = groupFile(kit.groups.path(context.group), String(args.path));
      channelWith(kit, chat, "sendFile", "send a link or the file's content as text with send or reply instead");
      const { topic, routeTopic } = threadFor(context, chat, undefined);
      const text = typeof args.caption === "string" ? args.caption : "";
      return stored(kit.outbound.reply({ chat, topic, routeTopic, text, group: context.group, runId: context.runId, replyTo: null, file }));
    },
  };

  const react: ToolSpec = {
    name: "react",
    description: "React to a message with an emoji (an empty emoji removes the reaction); default the newest message of the run. To reply in words use reply.",
    inputSchema: Type.Object({ emoji: Type.String({ maxLength: 32 }), message_id: Type.Optional(MessageRef), chat: Type.Optional(Chat) }, { additionalProperties: false }),
    defaults: (context) => ({ chat: context.chat }),
    async run(args, context) {
      const chat = String(args.chat);
      const { channel } = channelWith(kit, chat, "react", "answer with a short reply instead");
      const target = args.message_id !== undefined ? platformIdOf(kit, findMessage(kit, chat, String(args.message_id))) : chat === context.chat ? context.latestMessage : null;
      if (target === null) throw new ToolFailure("which message? pass message_id");
      await channel.react!(chat, target, String(args.emoji));
      return `reacted ${String(args.emoji)} to ${target}`;
    },
  };

  const edit: ToolSpec = {
    name: "edit",
    description: "Replace the text of a message this agent sent earlier (its id from the prompt or from send/reply). To add something new use reply.",
    inputSchema: Type.Object({ message_id: MessageRef, text: Text, chat: Type.Optional(Chat) }, { additionalProperties: false }),
    defaults: (context) => ({ chat: context.chat }),
    async run(args) {
      const chat = String(args.chat);
      const { channel } = channelWith(kit, chat, "edit", "send a correction with reply instead");
      const message = findMessage(kit, chat, String(args.message_id));
      if (message.direction !== "out") throw new ToolFailure(`message ${message.id} was not sent by the bot; only its own messages can be edited`);
      await channel.edit!(chat, platformIdOf(kit, message), String(args.text));
      return `edited ${message.id}`;
    },
  };

  const remove: ToolSpec = {
    name: "delete",
    description: "Delete a message in a chat (the bot's own, or another where the platform lets the bot). To correct a message use edit.",
    inputSchema: Type.Object({ message_id: MessageRef, chat: Type.Optional(Chat) }, { additionalProperties: false }),
    defaults: (context) => ({ chat: context.chat }),
    async run(args) {
      const chat = String(args.chat);
      const { channel } = channelWith(kit, chat, "delete", "the message stays; say so in a reply if it matters");
      const message = findMessage(kit, chat, String(args.message_id));
      await channel.delete!(chat, platformIdOf(kit, message));
      return `deleted ${message.id}`;
    },
  };

  return [send, reply, sendFile, react, edit, remove];
}
