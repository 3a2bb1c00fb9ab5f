/**
 * Users across sign-in and chats: the `host.users` API of plugins, and the user behind
 * a sender JID for admission and grants. A user's web chat sender is `web:<user id>`.
 * A chat account belongs to the user who linked it by signing in with the provider of
 * the same name, so `telegram:111` is Telegram account 111.
 */
import { ArizukoError, tryParseJid, type UserInfo, type UsersApi } from "@arizuko/sdk";
import type { FastifyRequest } from "fastify";
import type { GroupService } from "../groups/groups.js";
import { ACCESS_COOKIE, cookieOf, identify } from "./request-auth.js";
import type { AuthService } from "./service.js";
import type { User } from "./users.js";

/** Providers whose account ids are also chat sender ids on the platform of the same name. */
const CHAT_PROVIDERS = new Set(["telegram", "discord"]);
const USER_ID = /^usr_[A-Za-z0-9_-]+$/;

const info = (user: User): UserInfo => ({ id: user.id, username: user.username, role: user.role });

export class People implements UsersApi {
  constructor(
    private readonly auth: AuthService,
    private readonly groups: GroupService,
    private readonly adminToken: () => string,
  ) {}

  enabled(): boolean {
    return this.auth.users.any();
  }

  async fromRequest(request: FastifyRequest): Promise<UserInfo | null> {
    const identification = await identify(request, this.auth, this.adminToken);
    if (identification.caller?.kind === "user") return { id: identification.caller.claims.sub, username: identification.caller.claims.username, role: identification.caller.claims.role };
    if (identification.caller) throw new ArizukoError("ARZ_ERR_UNAUTHORIZED", "the admin token is for the admin API; sign in as a user (POST /auth/login or /auth/token)", { statusCode: 401 });
    // No credentials at all is a signed-out caller, not an error.
    if (identification.status === 401 && request.headers.authorization === undefined && cookieOf(request, ACCESS_COOKIE) === undefined) return null;
    throw new ArizukoError(identification.status === 403 ? "ARZ_ERR_CSRF" : "ARZ_ERR_UNAUTHORIZED", identification.reason, { statusCode: identification.status });
  }

  groupsOf(userId: string): string[] {
    const user = this.auth.users.byId(userId);
    if (!user) return [];
    if (user.role === "operator") return this.groups.list().map((group) => group.folder);
    return this.auth.userGroups.ofUser(userId).filter((folder) => this.groups.exists(folder));
  }

  mayUse(userId: string, folder: string): boolean {
    const user = this.auth.users.byId(userId);
    if (!user || !this.groups.exists(folder)) return false;
    return user.role === "operator" || this.auth.userGroups.has(userId, folder);
  }

  bySender(sender: string): UserInfo | null {
    const jid = tryParseJid(sender);
    if (jid?.kind !== "sender") return null;
    if (jid.platform === "web") {
      if (!USER_ID.test(jid.user)) return null;
      const user = this.auth.users.byId(jid.user);
      return user ? info(user) : null;
    }
    if (!CHAT_PROVIDERS.has(jid.platform)) return null;
    const identity = this.auth.identities.find(jid.platform, jid.user);
    const user = identity ? this.auth.users.byId(identity.userId) : null;
    return user ? info(user) : null;
  }

  webSender(userId: string): string {
    return `web:${userId}`;
  }

  /** Returns every sender JID that is this user: the web chat's, and each linked chat account's. */
  sendersOf(userId: string): string[] {
    const linked = this.auth.identities.ofUser(userId).filter((identity) => CHAT_PROVIDERS.has(identity.provider));
    return [this.webSender(userId), ...linked.map((identity) => `${identity.provider}:${identity.subject}`)];
  }
}
