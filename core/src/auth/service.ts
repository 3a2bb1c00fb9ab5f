/**
 * The auth service: users, sign-in with rate limiting, access tokens and rotating
 * refresh tokens. HTTP routes (routes.ts) and the operator check of the admin API use it.
 */
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import { AccessTokens, type AccessClaims } from "./access-tokens.js";
import { Identities } from "./identities.js";
import { Invitations } from "./invitations.js";
import { hashPassword, MIN_PASSWORD_LENGTH } from "./passwords.js";
import { verifyPassword } from "./passwords.js";
import { RefreshTokens } from "./refresh-tokens.js";
import { SignInLimiter } from "./sign-in-limiter.js";
import { UserGroups } from "./user-groups.js";
import { USERNAME_PATTERN, Users, type User } from "./users.js";

export interface AuthSettings {
  accessTokenTtlS: number;
  refreshTokenTtlDays: number;
  maxFailures: number;
  failureWindowS: number;
}

export type SignIn =
  | { ok: true; user: User; accessToken: string; refreshToken: string }
  | { ok: false; status: 401 | 403 | 429; reason: string; retryAfterS?: number };

/** The `onAuthenticate` gate: the reason a sign-in of `username` through `provider` is denied, or null. */
export type AuthenticateGate = (username: string, provider: string) => Promise<string | null>;

export class AuthService {
  readonly users: Users;
  readonly identities: Identities;
  readonly userGroups: UserGroups;
  readonly invitations: Invitations;
  readonly accessTokens: AccessTokens;
  readonly refreshTokens: RefreshTokens;
  private readonly limiter: SignInLimiter;

  constructor(
    private readonly db: Database,
    key: Uint8Array,
    readonly settings: AuthSettings,
    private readonly log: Logger,
    private readonly gate: AuthenticateGate = async () => null,
    private readonly created: (username: string) => void = () => {},
  ) {
    this.users = new Users(db);
    this.identities = new Identities(db);
    this.userGroups = new UserGroups(db);
    this.invitations = new Invitations(db);
    this.accessTokens = new AccessTokens(key, settings.accessTokenTtlS);
    this.refreshTokens = new RefreshTokens(db, settings.refreshTokenTtlDays * 86_400_000);
    this.limiter = new SignInLimiter({ maxFailures: settings.maxFailures, windowMs: settings.failureWindowS * 1000 });
  }

  /** Adds a user and tells `onUserCreated` observers. */
  addUser(username: string, passwordHash: string, role: User["role"]): User {
    const user = this.users.add(username, passwordHash, role);
    this.log.info({ user: username, role }, "user added");
    this.created(username);
    return user;
  }

  /** Creates the account an invitation offers, with the username and password its holder chose. */
  async acceptInvitation(token: string, username: string, password: string): Promise<{ ok: true; user: User } | { ok: false; status: 400 | 404 | 409 | 410; reason: string }> {
    const invitation = this.invitations.check(token);
    if (!invitation.ok) return invitation;
    if (!USERNAME_PATTERN.test(username)) return { ok: false, status: 400, reason: `invalid username ${JSON.stringify(username)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit` };
    if (password.length < MIN_PASSWORD_LENGTH) return { ok: false, status: 400, reason: `choose a password of at least ${MIN_PASSWORD_LENGTH} characters` };
    if (this.users.byName(username)) return { ok: false, status: 409, reason: `the username ${username} is taken; choose another` };

    const hash = await hashPassword(password);
    const user = this.db.transaction((): User | null => {
      // Checked again inside the transaction: two people may have raced for the invitation or the name.
      if (this.users.byName(username)) return null;
      const added = this.users.add(username, hash, invitation.role);
      if (!this.invitations.use(token, added.id)) throw new Error("invitation used meanwhile");
      return added;
    });
    let created: User | null;
    try {
      created = user();
    } catch {
      return { ok: false, status: 410, reason: "this invitation was already used; ask an operator for a new one" };
    }
    if (!created) return { ok: false, status: 409, reason: `the username ${username} is taken; choose another` };
    this.log.info({ user: username, role: created.role }, "user added through an invitation");
    this.created(username);
    return { ok: true, user: created };
  }

  /** Checks a password sign-in from `address`; past the failure limit nothing is checked. */
  async signIn(username: string, password: string, address: string): Promise<SignIn> {
    const keys = [`address:${address}`, `account:${username.toLowerCase()}`];
    const waitMs = this.limiter.waitMs(keys);
    if (waitMs > 0) {
      const retryAfterS = Math.ceil(waitMs / 1000);
      this.log.warn({ username, ip: address, retryAfterS }, "sign-in rejected: too many failed attempts");
      return { ok: false, status: 429, reason: `too many failed sign-ins from this address or for this account; try again in ${retryAfterS} s`, retryAfterS };
    }

    const at = Date.now();
    this.limiter.attempt(keys, at);
    const user = this.users.byName(username);
    const valid = await verifyPassword(user?.passwordHash ?? null, password);
    if (!user || !valid) {
      this.log.warn({ username, ip: address }, "sign-in failed: wrong username or password");
      return { ok: false, status: 401, reason: "wrong username or password" };
    }
    this.limiter.forgive(keys, at);
    const { passwordHash: _hash, ...account } = user;
    return this.startSession(account, "password");
  }

  /** Signs in a user a provider identified, unless `onAuthenticate` denies it. */
  async startSession(user: User, provider: string): Promise<SignIn> {
    const denial = await this.gate(user.username, provider);
    if (denial) {
      this.log.warn({ user: user.username, provider }, `sign-in denied by onAuthenticate: ${denial}`);
      return { ok: false, status: 403, reason: `sign-in denied: ${denial}` };
    }
    return { ok: true, user, ...(await this.tokensFor(user)), refreshToken: this.refreshTokens.start(user.id) };
  }

  /** Trades a refresh token for a new pair; a reused one revokes its whole sign-in. */
  async refresh(token: string): Promise<{ ok: true; user: User; accessToken: string; refreshToken: string } | { ok: false; reason: string }> {
    const rotation = this.refreshTokens.rotate(token);
    if (!rotation.ok) {
      if (rotation.reused) this.log.warn({ user: rotation.reused.userId, family: rotation.reused.family }, "a used refresh token came back; its sign-in is revoked");
      return { ok: false, reason: rotation.reason };
    }
    const user = this.users.byId(rotation.userId);
    if (!user) return { ok: false, reason: "the account no longer exists" };
    return { ok: true, user, ...(await this.tokensFor(user)), refreshToken: rotation.token };
  }

  private async tokensFor(user: User): Promise<{ accessToken: string }> {
    return { accessToken: await this.accessTokens.issue({ sub: user.id, username: user.username, role: user.role }) };
  }

  /** Returns the claims of a valid access token whose user still exists, with the user's current role, or why it is refused. */
  async authenticate(token: string): Promise<{ claims: AccessClaims } | { claims: null; reason: string }> {
    const result = await this.accessTokens.verify(token);
    if (!result.claims) return result;
    const user = this.users.byId(result.claims.sub);
    if (!user) return { claims: null, reason: "the account no longer exists" };
    return { claims: { ...result.claims, role: user.role } };
  }
}
