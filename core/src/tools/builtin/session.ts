/**
 * Tools about the run's own situation: `reset_session`, and the read-only
 * `inspect_messages`, `inspect_routing` and `inspect_session`.
 */
import type { ToolSpec, Verb } from "@arizuko/sdk";
import { Type } from "typebox";
import type { MessageRecord } from "../../store/messages.js";
import { findMessage, type ToolKit } from "./kit.js";
import { type CoreToolContext } from "./groups.js";

const Chat = Type.String({ minLength: 1, description: "Chat JID; default this run's chat" });

function shown(message: MessageRecord) {
  return {
    id: message.id,
    time: new Date(message.ts).toISOString(),
    direction: message.direction,
    kind: message.kind,
    sender: message.sender,
    sender_name: message.senderName,
    text: message.text,
    topic: message.topic,
    reply_to: message.replyTo,
    platform_id: message.platformId,
    group: message.group,
    state: message.state,
  };
}

export function sessionTools(kit: ToolKit): ToolSpec[] {
  const reset: ToolSpec = {
    name: "reset_session",
    description: "Start a fresh agent session for this chat and topic: the next run remembers nothing of this conversation except the group's memory files. Use when the user asks to start over; to see the current session use inspect_session.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run(_args, context) {
      const when = kit.runs.resetSession(context.chat, context.topic);
      return when === "now" ? "the next run starts a fresh session" : "a fresh session starts with the next run, after this one ends";
    },
  };

  const messages: ToolSpec = {
    name: "inspect_messages",
    description: "Read the recent messages of this chat (or another chat the grants allow), newest last, with ids usable by reply, react, edit and delete.",
    inputSchema: Type.Object(
      {
        chat: Type.Optional(Chat),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
        before: Type.Optional(Type.String({ minLength: 1, description: "A message id: only messages older than it" })),
      },
      { additionalProperties: false },
    ),
    defaults: (context) => ({ chat: context.chat }),
    run(args) {
      const chat = String(args.chat);
      const before = args.before === undefined ? undefined : findMessage(kit, chat, String(args.before)).seq;
      return { chat, messages: kit.store.messages.recent(chat, Number(args.limit ?? 20), before).map(shown) };
    },
  };

  const routing: ToolSpec = {
    name: "inspect_routing",
    description: "Explain where a message with this text would be routed (route rows, sticky pins, prefixes), without changing anything. Use before add_route or to understand why a message reached this group.",
    inputSchema: Type.Object(
      {
        text: Type.String({ maxLength: 10_000 }),
        chat: Type.Optional(Chat),
        sender: Type.Optional(Type.String({ minLength: 1, description: "Sender JID; default the sender of the run's newest message" })),
        verb: Type.Optional(Type.Union([Type.Literal("message"), Type.Literal("mention"), Type.Literal("reply")])),
        topic: Type.Optional(Type.String()),
        reply_to: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    defaults: (context) => ({ chat: context.chat }),
    async run(args, context) {
      const seq = (context as CoreToolContext).latestSeq;
      const latest = seq === null || seq === undefined ? null : kit.store.messages.bySeq(seq);
      const sender = (args.sender as string | undefined) ?? latest?.sender ?? `local:${context.group}`;
      return kit.routing.explain({
        chat: String(args.chat),
        sender,
        text: String(args.text),
        ...(args.topic !== undefined && { topic: String(args.topic) }),
        ...(args.verb !== undefined && { verb: args.verb as Verb }),
        ...(args.reply_to !== undefined && { replyTo: String(args.reply_to) }),
      });
    },
  };

  const session: ToolSpec = {
    name: "inspect_session",
    description: "Show this run's unit (group, chat, topic), its agent session id and what is queued behind it. To start a fresh session use reset_session.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run(_args, context) {
      const unit = kit.runs.status(context.chat).find((status) => status.group === context.group && status.topic === context.topic);
      return {
        group: context.group,
        chat: context.chat,
        topic: context.topic,
        run_id: context.runId,
        session_id: unit?.sessionId ?? null,
        queued_messages: unit?.pending ?? 0,
        sender_role: context.senderRole,
        delegated_by: context.delegatedBy,
      };
    },
  };

  return [reset, messages, routing, session];
}
