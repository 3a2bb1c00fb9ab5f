/** The chat page at `/` and its two assets, served from public/ with a strict CSP (no inline code, no CDN). */
import { readFileSync } from "node:fs";
import type { Host } from "@arizuko/sdk";
import { DOCS } from "./route-schemas.js";
import { visitorOf } from "./visitor.js";

const PUBLIC = new URL("../public/", import.meta.url);

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const ASSETS: Array<{ url: string; file: string; type: string; schema: (typeof DOCS)["page" | "script" | "style"] }> = [
  { url: "/", file: "index.html", type: "text/html; charset=utf-8", schema: DOCS.page },
  { url: "/web/chat.js", file: "chat.js", type: "text/javascript; charset=utf-8", schema: DOCS.script },
  { url: "/web/chat.css", file: "chat.css", type: "text/css; charset=utf-8", schema: DOCS.style },
];

/** `issueVisitor`: whether the page gives a new browser a visitor cookie (the open mode). */
export function registerPage(host: Host, issueVisitor: () => boolean): void {
  for (const asset of ASSETS) {
    const body = readFileSync(new URL(asset.file, PUBLIC));
    host.http.register({
      method: "GET",
      url: asset.url,
      schema: asset.schema,
      handler: (request, reply) => {
        // The page issues the visitor cookie, so its first stream and first post share one visitor.
        if (asset.file === "index.html" && issueVisitor()) visitorOf(request, reply);
        return reply.headers({ ...SECURITY_HEADERS, "content-type": asset.type, "cache-control": "no-cache" }).send(body);
      },
    });
  }
}
