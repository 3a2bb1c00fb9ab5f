/**
 * Deleting all stored data of one chat, one group or one person, and exporting what is
 * stored about a person: the work behind `arizuko chat purge`, `arizuko group rm
 * --purge` and `arizuko user export|erase`.
 *
 * A purge is rejected while the scope has work in flight: a run, messages waiting for
 * one, or replies not yet delivered. Deleting those rows would lose accepted work or
 * let a run write into a chat that is being emptied. The operator stops the run or
 * waits, then tries again.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { tryParseJid } from "@arizuko/sdk";
import type { People } from "../auth/people.js";
import type { AuthService } from "../auth/service.js";
import type { User } from "../auth/users.js";
import { errors } from "../errors.js";
import type { Store } from "../store/index.js";
import { PurgeStore, type MessageRef, type OpenWork, type PurgeScope } from "../store/purge.js";
import type { DeletedSink } from "./deleted.js";
import { removeMessageFiles } from "./media-files.js";
import { PRUNE_BATCH } from "./prune.js";

/** Counts of the rows and files a purge removed. */
export interface Removed {
  messages: number;
  outbox: number;
  media: number;
  runs: number;
  toolCalls: number;
  sessions: number;
}

/** A person as the export and erase commands find them: an account, their sender JIDs, or both. */
export interface Person {
  user: User | null;
  senders: string[];
}

/** Returns "1 message" or "3 messages". */
export const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

/** Describes what was removed, for the command's output. */
export function describeRemoved(removed: Removed): string {
  return [
    plural(removed.messages, "message"),
    plural(removed.outbox, "outbox row"),
    plural(removed.media, "media file"),
    plural(removed.runs, "run record"),
    plural(removed.toolCalls, "tool call"),
    plural(removed.sessions, "session"),
  ].join(", ");
}

/** Explains open work in a scope, or returns null when there is none. */
function busyReason(work: OpenWork): string | null {
  if (work.runs > 0) return `${plural(work.runs, "run")} in progress; stop it (/stop in the chat, or Stop on the dashboard's Status page) or wait for it to end`;
  if (work.queued > 0) return `${plural(work.queued, "message")} waiting for a run; try again when the queue is empty`;
  if (work.outbox > 0) return `${plural(work.outbox, "reply")} not yet delivered; try again once delivery is done (or the channel gave up)`;
  return null;
}

export class Erasure {
  private readonly purge: PurgeStore;

  constructor(
    private readonly store: Store,
    private readonly auth: AuthService,
    private readonly people: People,
    private readonly groupPath: (folder: string) => string,
    private readonly onDeleted: DeletedSink = () => {},
  ) {
    this.purge = new PurgeStore(store.db);
  }

  /** Throws the coded busy error when the scope has work in flight. */
  checkIdle(scope: PurgeScope, target: string): void {
    const reason = busyReason(this.purge.openWork(scope));
    if (reason !== null) throw errors.purgeBusy(target, reason);
  }

  /** Deletes every message, file, run record and session of a chat (the chat JID as stored). */
  async purgeChat(chat: string): Promise<Removed> {
    const scope = { chat };
    this.checkIdle(scope, `chat ${chat}`);
    const removed = await this.removeScope(scope);
    removed.sessions = this.purge.forgetChat(chat);
    return removed;
  }

  /** Deletes a group's messages, their files and its run records; the caller removes the group and its folder. */
  async purgeGroup(folder: string): Promise<Removed> {
    return this.removeScope({ group: folder });
  }

  /**
   * Finds a person by username, else by sender JID. A username brings every sender
   * JID linked to the account; a sender JID brings the account it belongs to, if any.
   */
  findPerson(name: string): Person {
    const user = this.auth.users.byName(name);
    if (user) return { user: { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt }, senders: this.people.sendersOf(user.id) };
    if (tryParseJid(name)?.kind !== "sender") throw errors.personNotFound(name);
    const owner = this.people.bySender(name);
    const account = owner ? this.auth.users.byId(owner.id) : null;
    const senders = account ? [...new Set([name, ...this.people.sendersOf(account.id)])] : [name];
    const stored = this.purge.messagesIn({ senders }).length > 0;
    if (!account && !stored) throw errors.personNotFound(name);
    return { user: account, senders };
  }

  /** Returns everything stored about a person, as one JSON-ready object. */
  exportPerson(person: Person, now: number): Record<string, unknown> {
    const { user, senders } = person;
    return {
      exported_at: new Date(now).toISOString(),
      account: user && {
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: new Date(user.createdAt).toISOString(),
        identities: this.auth.identities.ofUser(user.id).map(({ provider, subject, name }) => ({ provider, subject, name })),
        groups: this.auth.userGroups.ofUser(user.id),
      },
      senders,
      admission: this.purge.senderAdmission(senders),
      messages: this.purge.messageRows({ senders }),
    };
  }

  /** Deletes a person's messages and their files, their admission rows and their account. */
  async erasePerson(person: Person): Promise<Removed & { account: boolean; admission: number }> {
    const scope = { senders: person.senders };
    this.checkIdle(scope, `the data of ${person.user?.username ?? person.senders.join(", ")}`);
    const removed = await this.removeScope(scope);
    const admission = this.purge.forgetSenders(person.senders);
    // Identities, group links and sign-ins go with the account through their foreign keys.
    const account = person.user !== null && this.auth.users.remove(person.user.id);
    return { ...removed, account, admission };
  }

  /** Deletes a scope's messages and ended runs in batches, then the messages' files. */
  private async removeScope(scope: PurgeScope): Promise<Removed> {
    const removed: Removed = { messages: 0, outbox: 0, media: 0, runs: 0, toolCalls: 0, sessions: 0 };
    const messages = this.purge.messagesIn(scope);
    for (let start = 0; start < messages.length; start += PRUNE_BATCH) {
      const batch = messages.slice(start, start + PRUNE_BATCH);
      const deleted = this.purge.deleteMessages(batch.map((message) => message.seq));
      removed.messages += deleted.messages;
      removed.outbox += deleted.outbox;
      for (const message of batch) removed.media += this.removeFiles(message);
      this.onDeleted("purge", batch);
      await nextTurn();
    }
    const runs = this.purge.runsIn(scope);
    for (let start = 0; start < runs.length; start += PRUNE_BATCH) {
      const deleted = this.purge.deleteRuns(runs.slice(start, start + PRUNE_BATCH).map((run) => run.id));
      removed.runs += deleted.runs;
      removed.toolCalls += deleted.toolCalls;
      await nextTurn();
    }
    return removed;
  }

  private removeFiles(message: MessageRef): number {
    const groupPath = message.group === null ? null : this.groupPath(message.group);
    return removeMessageFiles(groupPath, message.files, "deleted by purge").removed;
  }
}
