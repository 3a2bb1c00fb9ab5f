/**
 * Message text as HTML for the chat page, rendered on the server so the page only
 * inserts finished, safe markup. Raw HTML in the text (from the user or the agent) is
 * shown as text. Links keep only http(s) and mailto URLs and open in a new tab without
 * a referrer. Images become links, so a message never loads anything by itself.
 */
import { Marked, type Tokens } from "marked";

const SAFE_LINK = /^(https?:|mailto:)/i;

export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** Returns a link's URL when it is safe to follow, else null (marked has already decoded entities). */
function safeHref(href: string): string | null {
  const trimmed = href.trim();
  return SAFE_LINK.test(trimmed) ? trimmed : null;
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // The newline after <br> keeps the line break in the element's text content too.
    br(): string {
      return "<br>\n";
    },
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const label = this.parser.parseInline(tokens);
      const url = safeHref(href);
      if (url === null) return label;
      const titleAttribute = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(url)}"${titleAttribute} target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;
    },
    image({ href, text }: Tokens.Image): string {
      const url = safeHref(href);
      const label = escapeHtml(text || href);
      return url === null ? label : `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;
    },
  },
});

/** Renders Markdown to HTML with no markup from the text itself. */
export function renderMarkdown(text: string): string {
  return marked.parse(text) as string;
}
