/**
 * route-command: chat commands in the control phase. A message whose text starts with
 * a registered command (`/name`, or `/name@bot_name`) runs it instead of reaching an
 * agent; an unknown `/word` is ordinary text. It registers the built-ins (`/new`,
 * `/stop`, `/ping`, `/status`, `/chatid`, `/help`) and runs other plugins' commands from
 * the same registry. Operator-only commands answer others with a refusal.
 */
import { definePlugin, describeError, HOST_API_VERSION, type ControlResult, type JsonSchema, type StoredMessage } from "@arizuko/sdk";
import { BUILTINS, type BuiltinResult } from "./builtins.js";
import { parseCommand } from "./parse.js";

export default definePlugin<JsonSchema, Record<string, never>>({
  name: "route-command",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Chat commands: /new, /stop, /ping, /status, /chatid, /help and plugins' commands.",
  configSchema: { type: "object", properties: {}, additionalProperties: false },

  register(host) {
    // Built-in runs may ask for a follow-up, which a registry entry's string cannot carry.
    const builtins = new Map<string, (message: StoredMessage, args: string) => BuiltinResult | Promise<BuiltinResult>>();
    for (const builtin of BUILTINS) {
      host.commands.register({ ...builtin.spec, run: () => undefined });
      builtins.set(builtin.spec.name, (message, args) => builtin.run(host, { chat: message.chat, topic: message.topic, sender: message.sender, args }));
    }

    host.hooks.onControl.tap(async (message, { senderRole, dryRun }): Promise<ControlResult | undefined> => {
      const parsed = parseCommand(message.text);
      if (!parsed) return undefined;
      const command = host.commands.list().find((entry) => entry.name === parsed.name);
      if (!command) return undefined;

      const reason = `command /${parsed.name}`;
      if (command.operatorOnly && senderRole !== "operator") {
        return { reason: `${reason} refused: operators only`, reply: `/${parsed.name} is for operators.` };
      }
      if (dryRun) return { reason };

      try {
        const builtin = builtins.get(parsed.name);
        if (builtin && command.plugin === host.plugin) {
          const result = await builtin(message, parsed.args);
          return { reason, reply: result.reply, ...(result.followUp && { followUp: result.followUp }) };
        }
        const reply = await command.run({ message, args: parsed.args, senderRole });
        return { reason, ...(typeof reply === "string" && reply.length > 0 && { reply }) };
      } catch (error) {
        host.log.warn({ command: parsed.name, chat: message.chat, err: error }, "command failed");
        return { reason: `${reason} failed`, reply: `/${parsed.name} failed: ${describeError(error)}` };
      }
    });
  },
});

export { parseCommand, splitTopic } from "./parse.js";
