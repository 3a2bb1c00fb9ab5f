/**
 * The agent's Markdown as Telegram HTML (parse mode `HTML`). Telegram accepts a small
 * set of tags. Everything else becomes text and every piece of text is escaped, so no
 * Markdown can produce markup Telegram rejects or a tag the agent did not mean.
 * Links keep only http(s) and tg: URLs. When Telegram still refuses the entities, the
 * channel resends the original Markdown as plain text, never this output.
 */
import { Lexer, type Token, type Tokens } from "marked";

/** Escapes text for Telegram's HTML: only `&`, `<` and `>` are special. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replaceAll('"', "&quot;");
}

const SAFE_LINK = /^(https?:\/\/|tg:\/\/)/i;

function inline(tokens: Token[] | undefined): string {
  return (tokens ?? []).map(renderInline).join("");
}

function renderInline(token: Token): string {
  switch (token.type) {
    case "strong":
      return `<b>${inline((token as Tokens.Strong).tokens)}</b>`;
    case "em":
      return `<i>${inline((token as Tokens.Em).tokens)}</i>`;
    case "del":
      return `<s>${inline((token as Tokens.Del).tokens)}</s>`;
    case "codespan":
      return `<code>${escapeHtml((token as Tokens.Codespan).text)}</code>`;
    case "br":
      return "\n";
    case "link": {
      const link = token as Tokens.Link;
      const label = inline(link.tokens);
      return SAFE_LINK.test(link.href) ? `<a href="${escapeAttribute(link.href)}">${label}</a>` : label;
    }
    case "image":
      return escapeHtml((token as Tokens.Image).text);
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeHtml(text.text);
    }
    case "escape":
      return escapeHtml((token as Tokens.Escape).text);
    default:
      // Raw HTML and anything unknown: shown as the agent wrote it.
      return escapeHtml(token.raw);
  }
}

function renderBlock(token: Token): string {
  switch (token.type) {
    case "paragraph":
      return inline((token as Tokens.Paragraph).tokens);
    case "heading":
      return `<b>${inline((token as Tokens.Heading).tokens)}</b>`;
    case "code": {
      const code = token as Tokens.Code;
      const language = code.lang ? ` class="language-${escapeAttribute(code.lang.split(/\s/)[0]!)}"` : "";
      return `<pre><code${language}>${escapeHtml(code.text)}</code></pre>`;
    }
    case "blockquote":
      return `<blockquote>${blocks((token as Tokens.Blockquote).tokens)}</blockquote>`;
    case "list": {
      const list = token as Tokens.List;
      const start = typeof list.start === "number" ? list.start : 1;
      return list.items.map((item, index) => `${list.ordered ? `${start + index}.` : "•"} ${blocks(item.tokens)}`).join("\n");
    }
    case "hr":
      return "──────";
    case "space":
      return "";
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeHtml(text.text);
    }
    default:
      return escapeHtml(token.raw.trimEnd());
  }
}

function blocks(tokens: Token[]): string {
  return tokens
    .map(renderBlock)
    .filter((part) => part !== "")
    .join("\n\n");
}

/** Renders `markdown` as the HTML Telegram's `parse_mode: "HTML"` takes; whitespace around it stays. */
export function toTelegramHtml(markdown: string): string {
  const lead = /^\s*/.exec(markdown)![0];
  const trail = markdown.length > lead.length ? /\s*$/.exec(markdown)![0] : "";
  const core = markdown.slice(lead.length, markdown.length - trail.length);
  return lead + blocks(new Lexer({ gfm: true }).lex(core)) + trail;
}
