/**
 * The services the core's own tools work with, and the checks several of them share: which
 * channel owns a chat, which message an id names, whether a folder is in the caller's
 * subtree. Failures are `ToolFailure`s: their message reaches the agent as is.
 */
import type { Capability, RoutingApi, RunsApi } from "@arizuko/sdk";
import { ArizukoError, platformMessageOf } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { GrantsService } from "../../grants/service.js";
import type { GroupService } from "../../groups/groups.js";
import type { ChannelEntry, ChannelRegistry } from "../../pipeline/channels.js";
import type { Intake } from "../../pipeline/intake.js";
import type { Outbound } from "../../pipeline/outbound.js";
import type { NameRegistry } from "../../plugins/registry.js";
import type { Store } from "../../store/index.js";
import type { MessageRecord } from "../../store/messages.js";

export interface ToolKit {
  store: Store;
  outbound: Outbound;
  channels: ChannelRegistry;
  groups: GroupService;
  grants: GrantsService;
  intake: Intake;
  routing: RoutingApi;
  runs: RunsApi;
  services: NameRegistry<unknown>;
  log: Logger;
}

export class ToolFailure extends ArizukoError {
  constructor(message: string) {
    super("ARZ_TOOL_FAILED", message, { statusCode: 400 });
  }
}

/** Returns the channel owning `chat`; fails when none does. */
export function channelFor(kit: ToolKit, chat: string): ChannelEntry {
  const entry = kit.channels.entryForChat(chat);
  if (!entry) throw new ToolFailure(`no channel owns chat ${chat}; check the JID (<platform>:<account>/<chat>) or ask the operator which channels run`);
  return entry;
}

const WHAT: Partial<Record<Capability, string>> = {
  sendFile: "send files",
  react: "react to messages",
  edit: "edit messages",
  delete: "delete messages",
};

/**
 * The channel owning `chat`, if it declared `capability` and implements the method of
 * the same name; else an "unsupported on" failure with `hint`.
 */
export function channelWith(kit: ToolKit, chat: string, capability: "sendFile" | "react" | "edit" | "delete", hint: string): ChannelEntry {
  const entry = channelFor(kit, chat);
  if (!entry.channel.capabilities[capability] || typeof entry.channel[capability] !== "function") {
    throw new ToolFailure(`unsupported on ${entry.channel.name}: it cannot ${WHAT[capability] ?? capability}; ${hint}`);
  }
  return entry;
}

/** Finds the message `ref` names in `chat`: its arizuko id (`msg_…`, as the prompt shows) or its platform id. */
export function findMessage(kit: ToolKit, chat: string, ref: string): MessageRecord {
  const found = kit.store.messages.byId(chat, ref) ?? kit.store.messages.findByPlatformId(chat, ref);
  if (!found) throw new ToolFailure(`no message ${JSON.stringify(ref)} in ${chat}; use an id from the prompt or from inspect_messages`);
  return found;
}

/** Returns the platform's id for `message`: what replies, reactions and edits point at. */
export function platformIdOf(kit: ToolKit, message: MessageRecord): string {
  if (message.direction === "in") return platformMessageOf(message.platformId);
  const delivered = kit.store.messages.deliveredIds(message.seq)[0];
  if (!delivered) throw new ToolFailure(`message ${message.id} has not been delivered yet, so the platform has no id for it; try again shortly`);
  return delivered;
}
