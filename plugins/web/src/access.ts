/**
 * Who may use which web chat.
 *
 * Open mode (no accounts, or `access: open`): each browser is a visitor with a cookie,
 * and the first visitor to use a chat name owns it.
 *
 * Users mode (`access: users`, or `auto` once any account exists): a caller is a
 * signed-in user, or a visitor who came through a share link. A user's chats are bound
 * to groups the user may use (`user_groups`). A visitor's chat is bound to its share
 * link's group and closes when the link is revoked. A caller with neither gets 401, and
 * a chat of someone else 404, the same status as for a chat that does not exist.
 */
import { ArizukoError, type Host, type UserInfo } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { WebChat, WebChats } from "./chats.js";
import type { ShareLinks } from "./shares.js";
import { readVisitor, visitorOf } from "./visitor.js";

export type AccessMode = "auto" | "open" | "users";

export type Caller = { kind: "visitor"; id: string } | { kind: "user"; id: string; user: UserInfo };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function notFound(chat: string): ArizukoError {
  return new ArizukoError(
    "ARZ_ERR_CHAT_NOT_FOUND",
    `chat ${chat} not found for this caller; a web chat belongs to whoever created it (a signed-in user, or the browser's visitor cookie: curl -b jar -c jar), and signed-in users start one with POST /web/chats { "group" }`,
    { statusCode: 404 },
  );
}

const signInNeeded = () =>
  new ArizukoError("ARZ_ERR_UNAUTHORIZED", "sign in first (POST /auth/login, or Authorization: Bearer <token> from POST /auth/token), or open a share link", {
    statusCode: 401,
  });

/**
 * Rejects a write authenticated by the visitor cookie from a page of another origin. With
 * `required`, a write without an Origin header is rejected too (browsers always send one).
 */
function checkOrigin(request: FastifyRequest, required: boolean): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (!required) return;
    throw new ArizukoError("ARZ_ERR_CSRF", "the request has no Origin header; browsers send one, so send it from scripts too (-H 'Origin: <this server>')", { statusCode: 403 });
  }
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // an unparsable Origin is foreign
  }
  if (host !== request.headers.host) {
    throw new ArizukoError("ARZ_ERR_CSRF", `cross-site request from ${origin} rejected; this server is ${request.headers.host}`, { statusCode: 403 });
  }
}

export class WebAccess {
  constructor(
    private readonly host: Host,
    private readonly chats: WebChats,
    private readonly shares: ShareLinks,
    private readonly mode: AccessMode,
  ) {}

  /** True when callers must be signed-in users or share-link visitors. */
  usersMode(): boolean {
    return this.mode === "users" || (this.mode === "auto" && this.host.users.enabled());
  }

  /**
   * Returns the caller of `request`. Open mode issues a visitor cookie when there is none.
   * Users mode rejects a caller who is neither signed in nor a visitor with 401.
   */
  async caller(request: FastifyRequest, reply: FastifyReply): Promise<Caller> {
    const found = await this.callerOrNull(request, reply);
    if (!found) throw signInNeeded();
    return found;
  }

  /** Returns the caller of `request`, or null when there is none or its credentials are no longer valid. */
  async sessionCaller(request: FastifyRequest, reply: FastifyReply): Promise<Caller | null> {
    try {
      return await this.callerOrNull(request, reply);
    } catch (error) {
      if (error instanceof ArizukoError && error.statusCode === 401) return null;
      throw error;
    }
  }

  async callerOrNull(request: FastifyRequest, reply: FastifyReply): Promise<Caller | null> {
    // The open mode has nothing to protect, so scripts may leave out Origin there.
    if (!this.usersMode()) {
      checkOrigin(request, false);
      return { kind: "visitor", id: visitorOf(request, reply) };
    }
    const user = await this.host.users.fromRequest(request);
    if (user) return { kind: "user", id: user.id, user };
    const visitor = readVisitor(request);
    if (!visitor) return null;
    checkOrigin(request, true);
    return { kind: "visitor", id: visitor };
  }

  /** True while `caller` may still use `chat`: checked again as its stream goes on. */
  stillAllowed(caller: Caller, chat: WebChat): boolean {
    if (!this.usersMode()) return true;
    try {
      this.checkStillAllowed(caller, chat);
      return true;
    } catch {
      return false;
    }
  }

  /** Returns the caller and `chat` when the caller may use it, else throws 401, 403 or 404. */
  async chat(request: FastifyRequest, reply: FastifyReply, name: string): Promise<{ caller: Caller; chat: WebChat }> {
    const caller = await this.caller(request, reply);
    if (!this.usersMode()) {
      const chat = this.chats.create(name, caller.id);
      if (chat.owner !== caller.id) throw notFound(name);
      return { caller, chat };
    }

    const chat = this.chats.get(name);
    if (!chat || chat.owner !== caller.id) throw notFound(name);
    this.checkStillAllowed(caller, chat);
    return { caller, chat };
  }

  /** Rejects a user unlinked from the chat's group, and a visitor whose share link was revoked. */
  private checkStillAllowed(caller: Caller, chat: WebChat): void {
    if (caller.kind === "user") {
      if (chat.group === null || this.host.users.mayUse(caller.id, chat.group)) return;
      if (!this.host.groups.exists(chat.group)) {
        throw new ArizukoError("ARZ_ERR_GROUP_GONE", `group ${chat.group} was removed, so this chat is closed; start a new chat with another group`, { statusCode: 410 });
      }
      throw new ArizukoError(
        "ARZ_ERR_FORBIDDEN",
        `you may no longer use group ${chat.group}; an operator can link you again with \`arizuko user join ${caller.user.username} ${chat.group}\``,
        { statusCode: 403 },
      );
    }
    if (chat.shareLink === null) throw signInNeeded(); // a visitor's chat from the open mode
    if (this.shares.live(chat.shareLink)) return;
    throw new ArizukoError("ARZ_ERR_SHARE_REVOKED", "the share link this chat came from was revoked; ask whoever gave it to you for a new one", { statusCode: 403 });
  }
}
