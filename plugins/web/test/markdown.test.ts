/** Markdown to HTML for the chat page: formatting kept, markup and unsafe links never. */
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/markdown.js";

describe("renderMarkdown", () => {
  it.each([
    ["**bold** and _italic_", "<p><strong>bold</strong> and <em>italic</em></p>\n"],
    ["`<b>`", "<p><code>&lt;b&gt;</code></p>\n"],
    ["line one\nline two", "<p>line one<br>\nline two</p>\n"],
    ["[docs](https://example.org/a?b=1&c=2)", '<p><a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">docs</a></p>\n'],
    ["[mail](mailto:ops@example.org)", '<p><a href="mailto:ops@example.org" target="_blank" rel="noopener noreferrer nofollow">mail</a></p>\n'],
  ])("renders %j", (text, html) => {
    expect(renderMarkdown(text)).toBe(html);
  });

  it.each([
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"],
    ["hi <b onclick=x>there</b>", "<p>hi &lt;b onclick=x&gt;there&lt;/b&gt;</p>\n"],
    ["[x](javascript:alert(1))", "<p>x</p>\n"],
    ["[x](JaVaScRiPt:alert(1))", "<p>x</p>\n"],
    ["[x](&#106;avascript:alert(1))", "<p>x</p>\n"],
    ["[x](data:text/html,<script>1</script>)", "<p>x</p>\n"],
    ["![pic](https://tracker.example/p.png)", '<p><a href="https://tracker.example/p.png" target="_blank" rel="noopener noreferrer nofollow">pic</a></p>\n'],
    ['[x](https://a.example "t\\" onmouseover=\\"1")', '<p><a href="https://a.example" title="t&quot; onmouseover=&quot;1" target="_blank" rel="noopener noreferrer nofollow">x</a></p>\n'],
  ])("neutralises %j", (text, html) => {
    expect(renderMarkdown(text)).toBe(html);
  });
});
