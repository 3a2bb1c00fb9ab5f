/**
 * The agent's Markdown in WhatsApp's own formatting: `*bold*`, `_italic_`, `~strike~`,
 * `` `code` `` and fenced blocks. Code is left exactly as written; links become
 * `text (url)`, headings bold lines. Plain text passes unchanged.
 */

/** Private-use characters that mark spans while the text is rewritten; text that has them is sent as it is. */
const CODE = "\uE000";
const BOLD = "\uE001";

/** Converts Markdown to WhatsApp formatting. */
export function toWhatsApp(markdown: string): string {
  if (markdown.includes(CODE) || markdown.includes(BOLD)) return markdown;
  const code: string[] = [];
  const keep = (span: string) => `${CODE}${code.push(span) - 1}${CODE}`;

  let text = markdown.replace(/```[\s\S]*?```/g, keep).replace(/`[^`\n]+`/g, keep);

  text = text
    .replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm, (_all, title: string) => `${BOLD}${title}${BOLD}`)
    .replace(/\*\*(?=\S)([^*\n]+?)\*\*|__(?=\S)([^_\n]+?)__/g, (_all, a?: string, b?: string) => `${BOLD}${a ?? b}${BOLD}`)
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?!\w)/g, "$1_$2_")
    .replace(/~~(?=\S)([^~\n]+?)~~/g, "~$1~")
    .replace(/\[([^\]\n]+)\]\((\S+?)\)/g, (_all, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replaceAll(BOLD, "*");

  return text.replace(new RegExp(`${CODE}(\\d+)${CODE}`, "g"), (_all, index: string) => code[Number(index)]!);
}
