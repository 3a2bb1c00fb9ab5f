/**
 * Share links over HTTP and the CLI:
 *   GET    /s/{token}                 opens the link: a visitor cookie and their own chat, then the chat page
 *   GET    /admin/web/shares          (operator) the links and their state
 *   POST   /admin/web/shares { group, note? }   (operator) a new link, shown once; 201
 *   DELETE /admin/web/shares/{id}     (operator) revokes a link and closes its chats
 *   arizuko web share GROUP [--note TEXT] | web shares | web unshare ID
 */
import { randomBytes } from "node:crypto";
import { ArizukoError, formatTable, type CliCommand, type Host } from "@arizuko/sdk";
import type { WebChats } from "./chats.js";
import type { WindowLimiter } from "./rate-limit.js";
import { DOCS } from "./route-schemas.js";
import { tooMany } from "./routes.js";
import type { ShareLink, ShareLinks } from "./shares.js";
import { visitorOf } from "./visitor.js";

export interface ShareRoutesContext {
  host: Host;
  chats: WebChats;
  shares: ShareLinks;
  /** Openings of share links, per IP address. */
  visits: WindowLimiter;
  /** Called after a link was revoked, so open streams of its chats end. */
  revoked: () => void;
}

const view = (share: ShareLink) => ({
  id: share.id,
  group: share.group,
  note: share.note,
  created_at: share.createdAt,
  revoked_at: share.revokedAt,
});

function create(host: Host, shares: ShareLinks, group: string, note: string | null): { share: ShareLink; path: string } {
  if (!host.groups.exists(group)) {
    throw new ArizukoError("ARZ_ERR_GROUP_NOT_FOUND", `no group ${group}; see \`arizuko group list\``, { statusCode: 404 });
  }
  const { share, token } = shares.create(group, note);
  host.log.info({ share: share.id, group }, "share link created");
  return { share, path: `/s/${token}` };
}

export function registerShareRoutes(context: ShareRoutesContext): void {
  const { host, chats, shares, visits, revoked: afterRevoke } = context;

  host.http.register({
    method: "GET",
    url: "/s/:token",
    schema: { ...DOCS.openShare, params: { type: "object", required: ["token"], properties: { token: { type: "string", maxLength: 200 } } } },
    handler: (request, reply) => {
      const waitS = visits.take(request.ip);
      if (waitS > 0) throw tooMany("share link visits", waitS);
      const share = shares.open((request.params as { token: string }).token);
      if (!share) {
        throw new ArizukoError("ARZ_ERR_SHARE_NOT_FOUND", "this share link does not exist or was revoked; ask whoever gave it to you for a new one", { statusCode: 404 });
      }

      const visitor = visitorOf(request, reply);
      const chat = chats.ofShare(visitor, share.id) ?? chats.create(`s_${randomBytes(9).toString("base64url")}`, visitor, share.group, share.id);
      request.log.info({ share: share.id, chat: chat.chat }, "share link opened");
      return reply.header("cache-control", "no-store").redirect(`/#${chat.chat}`, 303);
    },
  });

  host.http.register({
    method: "GET",
    url: "/admin/web/shares",
    auth: "operator",
    schema: DOCS.shares,
    handler: (_request, reply) => reply.send({ shares: shares.list().map(view) }),
  });

  host.http.register({
    method: "POST",
    url: "/admin/web/shares",
    auth: "operator",
    schema: {
      ...DOCS.createShare,
      body: {
        type: "object",
        additionalProperties: false,
        required: ["group"],
        properties: { group: { type: "string", minLength: 1, maxLength: 200 }, note: { type: "string", maxLength: 200 } },
      },
    },
    handler: (request, reply) => {
      const body = request.body as { group: string; note?: string };
      const { share, path } = create(host, shares, body.group, body.note ?? null);
      return reply.code(201).send({ ...view(share), path });
    },
  });

  host.http.register({
    method: "DELETE",
    url: "/admin/web/shares/:id",
    auth: "operator",
    schema: { ...DOCS.revokeShare, params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 64 } } } },
    handler: (request, reply) => {
      const { id } = request.params as { id: string };
      if (!shares.get(id)) throw new ArizukoError("ARZ_ERR_SHARE_NOT_FOUND", `no share link ${id}; list them with GET /admin/web/shares`, { statusCode: 404 });
      const revoked = shares.revoke(id);
      if (revoked) {
        host.log.info({ share: id }, "share link revoked");
        afterRevoke();
      }
      return reply.send({ id, revoked });
    },
  });
}

export function webCommand(host: Host, shares: ShareLinks, afterRevoke: () => void): CliCommand {
  return {
    name: "web",
    description: "share links of the web chat",
    subcommands: [
      {
        name: "share",
        description: "make a public link to one group; each visitor gets a chat of their own (shown once)",
        arguments: [{ name: "group", description: "the group folder the link's visitors talk to", required: true }],
        options: [{ flags: "--note <text>", description: "what the link is for, shown in `web shares`" }],
        run({ args, options }) {
          const { share, path } = create(host, shares, args[0] as string, typeof options.note === "string" ? options.note : null);
          return [`share link ${share.id} to ${share.group} (shown once; prefix it with this server's address):`, `  ${path}`, `revoke it with \`arizuko web unshare ${share.id}\``].join("\n");
        },
      },
      {
        name: "shares",
        description: "list share links",
        run() {
          const rows = shares.list().map((share) => [share.id, share.group, share.revokedAt === null ? "live" : "revoked", new Date(share.createdAt).toISOString(), share.note ?? ""]);
          return rows.length === 0 ? "no share links; make one with `arizuko web share GROUP`" : formatTable([["ID", "GROUP", "STATE", "CREATED", "NOTE"], ...rows]);
        },
      },
      {
        name: "unshare",
        description: "revoke a share link; its visitors' chats close",
        arguments: [{ name: "id", description: "the link's id from `web shares`", required: true }],
        run({ args }) {
          const id = args[0] as string;
          if (!shares.get(id)) throw new ArizukoError("ARZ_ERR_SHARE_NOT_FOUND", `no share link ${id}; see \`arizuko web shares\``, { statusCode: 404 });
          if (!shares.revoke(id)) return `share link ${id} was already revoked`;
          host.log.info({ share: id }, "share link revoked");
          afterRevoke();
          return `share link ${id} revoked`;
        },
      },
    ],
  };
}
