/** Parses chat commands: `/name args`, also addressed to a bot as `/name@bot_name args`. */

export interface ParsedCommand {
  name: string;
  args: string;
}

const COMMAND = /^\/([a-z][a-z0-9_]{0,31})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/;

/** The command in `text`, or null when the text is not one (an unknown name is ordinary text). */
export function parseCommand(text: string): ParsedCommand | null {
  const match = COMMAND.exec(text.trim());
  if (!match) return null;
  return { name: match[1]!, args: (match[2] ?? "").trim() };
}

/** Splits `/new` arguments: an optional leading `#topic`, then the text to run. */
export function splitTopic(args: string): { topic: string | null; text: string } {
  const match = /^#([^\s@#]{1,64})(?:\s+([\s\S]*))?$/.exec(args);
  if (!match) return { topic: null, text: args };
  return { topic: match[1]!, text: (match[2] ?? "").trim() };
}
