/**
 * Admission: which senders may start runs, per platform. The core's own tap on
 * `onAdmit` applies the policy; plugins may add taps that deny more, never admit more.
 * A message that is not admitted is stored as context and starts nothing.
 *
 *   open       anyone
 *   allowlist  senders or chats listed in `allow` (a trailing `*` matches any rest)
 *   pairing    the allowlist, plus senders an operator approved: a stranger who writes
 *              in a direct chat, or addresses the bot, gets a one-time code (at most one
 *              per `pairing.periodMs`), and `arizuko pair approve CODE` admits them
 *
 * Operators (config `operators`, by sender JID) are always admitted, and so are users:
 * a sender JID that belongs to a user account (see auth/people.ts).
 */
import { randomInt } from "node:crypto";
import type { Deny, Disposer, PairingInfo, SenderRole, StoredMessage, UserInfo } from "@arizuko/sdk";
import { parseChatJid, parseJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { AdmissionConfig, Config } from "../config/schema.js";
import { errors } from "../errors.js";
import type { Hooks } from "../hooks/hooks.js";
import type { Db } from "../store/db.js";
import type { Store } from "../store/index.js";
import type { Outbound } from "./outbound.js";

/** The local web chat is open by default; every other platform admits nobody until configured. */
const DEFAULT_POLICY: Record<string, AdmissionConfig> = {
  web: { policy: "open", allow: [] },
};
const CLOSED: AdmissionConfig = { policy: "allowlist", allow: [] };
/** Pairing codes: 8 characters without look-alikes (0/O, 1/I/L), shown as XXXX-XXXX. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export interface Pairing extends PairingInfo {
  approvedAt: number | null;
}

/** `telegram:111` matches itself; a trailing `*` matches any rest. */
function listed(value: string, patterns: string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : value === pattern));
}

/**
 * True when the sender is the bot account the chat belongs to (`telegram:600000001`
 * in `telegram:600000001/…`, `whatsapp:15550009999@s.whatsapp.net` in
 * `whatsapp:15550009999/…`): a platform echoing the bot's own send back.
 */
// NOTE: a self-chat mode (an operator talking to the bot from its own account) would need a config switch and a loop guard.
export function isOwnEcho(message: Pick<StoredMessage, "sender" | "chat">): boolean {
  const sender = parseJid(message.sender);
  if (sender.kind !== "sender") return false;
  const chat = parseChatJid(message.chat);
  return sender.platform === chat.platform && sender.user.split(/[@:]/)[0] === chat.account;
}

function newCode(): string {
  const characters = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return `${characters.slice(0, 4).join("")}-${characters.slice(4).join("")}`;
}

export function admissionPolicy(config: Config["admission"], platform: string): AdmissionConfig {
  return config[platform] ?? DEFAULT_POLICY[platform] ?? CLOSED;
}

export class Admission {
  private readonly statements;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, "admission" | "operators" | "pairing">,
    private readonly outbound: Outbound,
    private readonly log: Logger,
    /** The user account a sender JID belongs to, or null. */
    private readonly userOf: (sender: string) => UserInfo | null = () => null,
  ) {
    const db: Db = store.db;
    this.statements = {
      approved: db.prepare("SELECT 1 FROM approved_senders WHERE sender = ?"),
      recentCode: db.prepare("SELECT 1 FROM pairings WHERE sender = ? AND created_at > ? LIMIT 1"),
      insertCode: db.prepare(
        "INSERT INTO pairings (code, platform, sender, chat, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      byCode: db.prepare("SELECT * FROM pairings WHERE code = ?"),
      approveCode: db.prepare("UPDATE pairings SET approved_at = ? WHERE code = ?"),
      approveSender: db.prepare(
        "INSERT INTO approved_senders (sender, platform, approved_at, source) VALUES (?, ?, ?, ?) ON CONFLICT (sender) DO NOTHING",
      ),
      revoke: db.prepare("DELETE FROM approved_senders WHERE sender = ?"),
      rejectCode: db.prepare("DELETE FROM pairings WHERE code = ? AND approved_at IS NULL"),
      open: db.prepare("SELECT * FROM pairings WHERE approved_at IS NULL AND expires_at > ? ORDER BY created_at"),
    };
  }

  /** Taps `onAdmit` as the core, before any plugin. */
  tap(hooks: Hooks): Disposer {
    return hooks.tap("onAdmit", "core", ({ message, dryRun }) => this.check(message, dryRun), { stage: -1000 });
  }

  isOperator(sender: string): boolean {
    return this.config.operators.includes(sender);
  }

  /** The role grants see for whoever sent `message`. */
  roleOf(message: Pick<StoredMessage, "sender" | "chat">): SenderRole {
    if (this.isOperator(message.sender)) return "operator";
    const user = this.userOf(message.sender);
    if (user) return user.role === "operator" ? "operator" : "member";
    const policy = this.policyFor(message.chat);
    if (policy && policy.policy !== "open" && this.admits(message, policy)) return "member";
    return this.statements.approved.get(message.sender) ? "member" : "guest";
  }

  private policyFor(chat: string): AdmissionConfig | null {
    try {
      return admissionPolicy(this.config.admission, parseChatJid(chat).platform);
    } catch {
      return null;
    }
  }

  private admits(message: Pick<StoredMessage, "sender" | "chat">, policy: AdmissionConfig): boolean {
    if (policy.policy === "open") return true;
    const allow = policy.allow ?? [];
    if (listed(message.sender, allow) || listed(message.chat, allow)) return true;
    return policy.policy === "pairing" && this.statements.approved.get(message.sender) !== undefined;
  }

  private check(message: StoredMessage, dryRun: boolean): Deny | undefined {
    // Checked first, since an echo must not start a run even from an operator's account.
    if (isOwnEcho(message)) return { deny: `sender ${message.sender} is the bot's own account; an echo of its own reply starts nothing` };
    if (this.isOperator(message.sender)) return undefined;
    // A sender who is a user (signed in on the web, or a chat account they linked) was let in by an operator.
    if (this.userOf(message.sender)) return undefined;
    // Messages the host itself writes for a group (delegations) were admitted upstream.
    if (parseJid(message.sender).kind === "local") return undefined;

    const policy = this.policyFor(message.chat) ?? CLOSED;
    if (this.admits(message, policy)) return undefined;

    const platform = parseChatJid(message.chat).platform;
    const deny =
      policy.policy === "pairing"
        ? `sender ${message.sender} is not approved on ${platform}; a pairing code lets an operator approve them`
        : `sender ${message.sender} is not on the ${platform} allowlist`;
    if (dryRun) return { deny };

    // Log at info only when a stranger addresses the bot, because logging all group
    // chatter at info would flood the log.
    const addressed = message.verb === "mention" || this.store.messages.isDirectChat(message.chat);
    const ids = { sender: message.sender, chat: message.chat, messageId: message.id, policy: policy.policy };
    if (addressed) this.log.info(ids, "message from a sender who is not admitted; stored as context");
    else this.log.debug(ids, "message from a sender who is not admitted; stored as context");
    if (policy.policy === "pairing" && addressed) this.offerCode(message, platform);
    return { deny };
  }

  /** Sends a stranger who addressed the bot a pairing code, unless one went out within `pairing.periodMs`. */
  private offerCode(message: StoredMessage, platform: string): void {
    const now = Date.now();
    if (this.statements.recentCode.get(message.sender, now - this.config.pairing.periodMs)) return;

    const code = newCode();
    this.statements.insertCode.run(code, platform, message.sender, message.chat, now, now + this.config.pairing.codeTtlMs);
    this.log.info({ sender: message.sender, chat: message.chat, code }, "pairing code sent to a stranger");
    this.outbound.notice({
      chat: message.chat,
      topic: message.topic,
      group: null,
      replyTo: message.platformId,
      text: `This assistant answers only people an operator has approved. To be approved, give an operator this code: ${code}`,
    });
  }

  /** Approves the sender a pairing code was sent to. */
  approve(code: string): Pairing {
    const pairing = this.pairing(code.trim().toUpperCase());
    const now = Date.now();
    if (!pairing) throw errors.pairingNotFound(code);
    if (pairing.approvedAt === null && pairing.expiresAt < now) throw errors.pairingExpired(code);
    this.store.transaction(() => {
      this.statements.approveCode.run(now, pairing.code);
      this.statements.approveSender.run(pairing.sender, pairing.platform, now, `pairing ${pairing.code}`);
    });
    this.log.info({ sender: pairing.sender, code: pairing.code }, "sender approved");
    return { ...pairing, approvedAt: now };
  }

  /** Withdraws a code that is not approved yet; returns false when there is no such open code. */
  reject(code: string): boolean {
    return this.statements.rejectCode.run(code.trim().toUpperCase()).changes > 0;
  }

  /** Withdraws an approval; returns false when the sender was not approved. */
  revoke(sender: string): boolean {
    return this.statements.revoke.run(sender).changes > 0;
  }

  /** Codes sent and not yet approved or expired. */
  pending(): Pairing[] {
    return (this.statements.open.all(Date.now()) as PairingRow[]).map(toPairing);
  }

  private pairing(code: string): Pairing | null {
    const row = this.statements.byCode.get(code) as PairingRow | undefined;
    return row ? toPairing(row) : null;
  }
}

interface PairingRow {
  code: string;
  platform: string;
  sender: string;
  chat: string;
  created_at: number;
  expires_at: number;
  approved_at: number | null;
}

function toPairing(row: PairingRow): Pairing {
  return {
    code: row.code,
    platform: row.platform,
    sender: row.sender,
    chat: row.chat,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    approvedAt: row.approved_at,
  };
}
