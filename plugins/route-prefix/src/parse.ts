/**
 * Leading prefixes: `@child text` and `#topic text`. Only the first token counts, so
 * `mail@example.com` or a `#` inside a sentence is ordinary text.
 */

const CHILD = /^@([a-z0-9][a-z0-9_-]{0,63})\s+(\S[\s\S]*)$/;
const TOPIC = /^#([^\s@#]{1,64})\s+(\S[\s\S]*)$/;

export type Prefix = { kind: "child"; name: string; text: string } | { kind: "topic"; name: string; text: string };

export function parsePrefix(text: string): Prefix | null {
  const trimmed = text.trimStart();
  const child = CHILD.exec(trimmed);
  if (child) return { kind: "child", name: child[1]!, text: child[2]!.trim() };
  const topic = TOPIC.exec(trimmed);
  if (topic) return { kind: "topic", name: topic[1]!, text: topic[2]!.trim() };
  return null;
}
