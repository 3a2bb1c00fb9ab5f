/**
 * The identity a run acts with, fixed when the run starts: its unit, the role of the people who
 * triggered it and the group that delegated it. Tool calls and grants read only this,
 * never what the agent claims.
 */
import type { RunUnit, SenderRole, StoredMessage } from "@arizuko/sdk";
import { platformMessageOf, tryParseJid } from "@arizuko/sdk";
import type { Store } from "../store/index.js";
import type { MessageRecord } from "../store/messages.js";
import type { CoreToolContext } from "./builtin/index.js";

export type RunIdentity = Omit<CoreToolContext, "signal">;

const RANK: Record<SenderRole, number> = { guest: 0, member: 1, operator: 2 };

/** Returns the folder of a `local:<folder>` sender, or null for a person. */
function delegatingGroup(sender: string): string | null {
  const jid = tryParseJid(sender);
  return jid?.kind === "local" ? jid.folder : null;
}

/**
 * Returns the role behind one message: the one the host vouched for when it wrote the
 * message (a scheduled task's creator's), else its sender's, or for a delegated message
 * the role behind the message it was delegated from.
 */
function roleBehind(store: Store, message: MessageRecord, roleOf: (message: StoredMessage) => SenderRole): SenderRole {
  let current: MessageRecord | null = message;
  for (let hops = 0; current && current.role === null && delegatingGroup(current.sender) !== null && hops < 8; hops += 1) {
    current = current.origin ? store.messages.byId(current.origin.chat, current.origin.message) : null;
  }
  // An origin that cannot be found gives no one's authority.
  if (!current) return "guest";
  return current.role ?? roleOf(current);
}

/**
 * Builds the identity of a run over `messages`. Its role is the least one among the batch's
 * senders, so a stranger's message in the batch never acts with an operator's role.
 */
export function runIdentity(store: Store, runId: string, unit: RunUnit, messages: MessageRecord[], roleOf: (message: StoredMessage) => SenderRole): RunIdentity {
  const roles = messages.map((message) => roleBehind(store, message, roleOf));
  const senderRole = roles.reduce<SenderRole>((least, role) => (RANK[role] < RANK[least] ? role : least), "operator");
  const delegatedBy = messages.map((message) => delegatingGroup(message.sender)).find((folder) => folder !== null && folder !== unit.group) ?? null;
  const last = messages[messages.length - 1]!;
  return {
    runId,
    group: unit.group,
    chat: unit.chat,
    topic: unit.topic,
    thread: last.topic,
    latestMessage: platformMessageOf(last.platformId),
    latestSeq: last.seq,
    senderRole: messages.length > 0 ? senderRole : "guest",
    delegatedBy,
  };
}
