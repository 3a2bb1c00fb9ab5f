/** The dashboard's templates: what a sender controls is escaped and cannot reorder the text around it. */
import { describe, expect, it } from "vitest";
import { html, raw } from "../src/html.js";

describe("html", () => {
  it("escapes markup and quotes", () => {
    expect(html`<td title="${'"><script>'}">${"<b>&</b>"}</td>`.text).toBe('<td title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;&lt;/b&gt;</td>');
  });

  it("drops bidi overrides and isolates, so a name shows in its real order", () => {
    expect(html`${"evil\u202Etxt.exe"} ${"a\u2066b\u2069c"}`.text).toBe("eviltxt.exe abc");
  });

  it("keeps nested templates and raw markup, and skips empty values", () => {
    expect(html`${html`<i>${"x"}</i>`}${raw("<hr>")}${null}${undefined}${false}${[html`<b>1</b>`, "2"]}`.text).toBe("<i>x</i><hr><b>1</b>2");
  });
});
