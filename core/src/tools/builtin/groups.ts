/**
 * Tools over the group tree: `delegate_group` (down to a direct child),
 * `escalate_group` (up to the parent), `register_group` (a new child from the group
 * template, with its route) and `list_groups`. Delegation has the same form as a
 * `@child` message: the child replies in this run's chat and topic.
 */
import type { RoutesService, ToolContext, ToolSpec } from "@arizuko/sdk";
import { inSubtree, parentFolder, routePlatform } from "@arizuko/sdk";
import { Type } from "typebox";
import type { MessageRecord } from "../../store/messages.js";
import { ToolFailure, type ToolKit } from "./kit.js";

/** The core's tool context: the public one plus the run's newest message row. */
export interface CoreToolContext extends ToolContext {
  latestSeq: number | null;
}

const SEGMENT = "^[a-z0-9][a-z0-9_-]{0,63}$";

function latestOf(kit: ToolKit, context: ToolContext): MessageRecord | null {
  const seq = (context as CoreToolContext).latestSeq;
  return seq === null || seq === undefined ? null : kit.store.messages.bySeq(seq);
}

function handOff(kit: ToolKit, context: ToolContext, to: string, text: string) {
  if (!kit.groups.exists(to)) throw new ToolFailure(`group ${to} does not exist; list_groups shows the groups`);
  const origin = latestOf(kit, context);
  const message = kit.intake.handOff({
    from: context.group,
    to,
    chat: context.chat,
    thread: context.thread,
    routeTopic: context.topic,
    text,
    origin,
    depth: (origin?.depth ?? 0) + 1,
  });
  return { delegated_to: to, message_id: message.id };
}

export function groupTools(kit: ToolKit, operatorGroup: string | null): ToolSpec[] {
  const delegate: ToolSpec = {
    name: "delegate_group",
    description:
      "Hand a task to a direct child group (e.g. acme/support from acme); it runs with the child's persona and answers in this chat and topic itself. " +
      "To pass something up to the parent group use escalate_group.",
    inputSchema: Type.Object(
      { group: Type.String({ minLength: 1, description: "A direct child: its folder (acme/support) or its last segment (support)" }), text: Type.String({ minLength: 1, maxLength: 100_000 }) },
      { additionalProperties: false },
    ),
    run(args, context) {
      const given = String(args.group);
      const to = given.includes("/") ? given : `${context.group}/${given}`;
      if (parentFolder(to) !== context.group) throw new ToolFailure(`${to} is not a direct child of ${context.group}; delegate only one level down (list_groups shows the children)`);
      return handOff(kit, context, to, String(args.text));
    },
  };

  const escalate: ToolSpec = {
    name: "escalate_group",
    description: "Hand the conversation up to this group's parent group, with a note on what it needs; the parent replies in this chat. To hand work down use delegate_group.",
    inputSchema: Type.Object({ text: Type.String({ minLength: 1, maxLength: 100_000 }) }, { additionalProperties: false }),
    run(args, context) {
      const parent = parentFolder(context.group);
      if (parent === null) throw new ToolFailure(`${context.group} is a top-level group; it has no parent to escalate to`);
      return handOff(kit, context, parent, String(args.text));
    },
  };

  const register: ToolSpec = {
    name: "register_group",
    description:
      "Create a child group of this group from the group template (its own persona and memory), optionally with a route that sends matching messages to it. " +
      "To hand it work afterwards use delegate_group.",
    inputSchema: Type.Object(
      {
        folder: Type.String({ pattern: SEGMENT, description: "The child's folder name, one segment: lowercase letters, digits, _ and -" }),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        route: Type.Optional(Type.String({ maxLength: 1000, description: "A route match for the child, e.g. chat=telegram:600000001/-1001000000007 verb=mention" })),
      },
      { additionalProperties: false },
    ),
    // A route may bring only platforms the group already reaches, or it would widen its own grants.
    grantParams: (args): Record<string, string> => (typeof args.route === "string" ? { platform: routePlatform(args.route) } : {}),
    run(args, context) {
      const folder = `${context.group}/${String(args.folder)}`;
      const routes = kit.services.get("routes")?.value as RoutesService | undefined;
      if (args.route !== undefined && !routes) throw new ToolFailure("routes cannot be added: the route-table plugin is not running; leave route out");

      const group = kit.groups.add(folder, args.name as string | undefined);
      if (args.route === undefined || !routes) return { folder: group.folder, name: group.name, route: null };
      try {
        const [row] = routes.addOwned(context.group, [{ match: String(args.route), target: folder }]);
        return { folder: group.folder, name: group.name, route: { id: row!.id, seq: row!.seq, match: row!.match } };
      } catch (error) {
        throw new ToolFailure(`group ${folder} was created, but its route is invalid: ${(error as Error).message}; add it with add_route`);
      }
    },
  };

  const list: ToolSpec = {
    name: "list_groups",
    description: "List this group and the groups below it (folder, name, paused), e.g. to pick a child for delegate_group.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run(_args, context) {
      const visible = kit.groups.list().filter((group) => context.group === operatorGroup || inSubtree(context.group, group.folder));
      return { groups: visible.map((group) => ({ folder: group.folder, name: group.name, paused: group.paused })) };
    },
  };

  return [delegate, escalate, register, list];
}
