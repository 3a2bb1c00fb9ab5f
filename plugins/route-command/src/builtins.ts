/**
 * The built-in chat commands. Each one's reply is plain text; `/new` also hands the
 * rest of its text back to routing as a follow-up message.
 */
import type { CommandSpec, Host } from "@arizuko/sdk";
import { splitTopic } from "./parse.js";

/** `/status` lists chats with failures in this window. */
const FAILURE_WINDOW_MS = 24 * 3600 * 1000;

export interface BuiltinResult {
  reply: string;
  followUp?: { text: string; topic?: string };
}

/** A built-in command: its registry entry plus the run that may ask for a follow-up. */
export interface Builtin {
  spec: Omit<CommandSpec, "run">;
  run(host: Host, context: { chat: string; topic: string; sender: string; args: string }): BuiltinResult | Promise<BuiltinResult>;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export const BUILTINS: Builtin[] = [
  {
    spec: { name: "new", description: "start a fresh session: /new [#topic] [text to run in it]" },
    async run(host, { chat, topic, sender, args }) {
      const parsed = splitTopic(args);
      // Without #topic: the session the chat's next message would reach, so a topic pin counts.
      const sessionTopic = parsed.topic ?? (await host.routing.explain({ chat, sender, text: "", topic })).result.topic;
      const when = host.runs.resetSession(chat, sessionTopic);
      const where = sessionTopic ? `topic ${sessionTopic}` : "this chat";
      const reply = when === "now" ? `New session for ${where}.` : `New session for ${where} once the current run ends; queued messages stay queued.`;
      return parsed.text ? { reply, followUp: { text: parsed.text, topic: sessionTopic } } : { reply };
    },
  },
  {
    spec: { name: "stop", description: "stop every agent run going in this chat" },
    run(host, { chat }) {
      const stopped = host.runs.stop(chat);
      return { reply: stopped === 0 ? "Nothing is running in this chat." : `Stopping ${plural(stopped, "run")}.` };
    },
  },
  {
    spec: { name: "ping", description: "show the group, session and queue of this chat" },
    run(host, { chat }) {
      const units = host.runs.status(chat);
      if (units.length === 0) return { reply: "pong · no agent session in this chat yet" };
      const lines = units.map((unit) => {
        const topic = unit.topic ? ` #${unit.topic}` : "";
        const state = unit.running ? "running" : "idle";
        return `pong · group ${unit.group}${topic} · session ${unit.sessionId ?? "new"} · ${plural(unit.pending, "queued message")} · ${state}`;
      });
      return { reply: lines.join("\n") };
    },
  },
  {
    spec: { name: "status", description: "channels, groups, runs and failing chats", operatorOnly: true },
    run(host) {
      const channels = host.channels.list().map((channel) => `${channel.name} ${channel.state}`);
      const groups = host.groups.list().map((group) => `${group.folder}${group.paused ? " (paused)" : ""}`);
      const runs = host.runs.active().map((run) => `${run.group} in ${run.chat}`);
      const failures = host.runs.failures(Date.now() - FAILURE_WINDOW_MS).map((entry) => `${entry.chat} (${entry.failed})`);
      return {
        reply: [
          `channels: ${channels.join(", ") || "none"}`,
          `groups: ${groups.join(", ") || "none"}`,
          `runs: ${runs.join(", ") || "none"}`,
          `failed in the last 24 h: ${failures.join(", ") || "none"}`,
        ].join("\n"),
      };
    },
  },
  {
    spec: { name: "chatid", description: "show this chat's id" },
    run(_host, { chat, topic }) {
      return { reply: topic ? `chat ${chat} · topic ${topic}` : `chat ${chat}` };
    },
  },
  {
    spec: { name: "help", description: "list the commands" },
    run(host) {
      const lines = host.commands
        .list()
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((command) => `/${command.name} — ${command.description}${command.operatorOnly ? " (operators)" : ""}`);
      return { reply: lines.join("\n") };
    },
  },
];
