/**
 * `get_grants` and `set_grants`. An agent can only narrow: what it sets is stored as
 * limits, a layer checked after the group's own rules, on its own group or a group
 * below it. Widening is the operator's (`arizuko grants set`).
 */
import { inSubtree, type ToolSpec } from "@arizuko/sdk";
import { Type } from "typebox";
import { ToolFailure, type ToolKit } from "./kit.js";

const Group = Type.String({ minLength: 1, description: "Group folder; default this run's group" });

function ownSubtree(caller: string, group: string, action: string): void {
  if (!inSubtree(caller, group)) throw new ToolFailure(`${group} is not ${caller} or below it; a group can ${action} only its own grants and those of its subtree`);
}

export function grantTools(kit: ToolKit): ToolSpec[] {
  const get: ToolSpec = {
    name: "get_grants",
    description: "Show the grant rules of this group or a group below it: derived defaults, operator overrides, and limits. To narrow them use set_grants.",
    inputSchema: Type.Object({ group: Type.Optional(Group) }, { additionalProperties: false }),
    defaults: (context) => ({ group: context.group }),
    run(args, context) {
      const group = String(args.group);
      ownSubtree(context.group, group, "read");
      if (!kit.groups.exists(group)) throw new ToolFailure(`group ${group} does not exist`);
      return { group, ...kit.grants.rules(group), delegated_by: group === context.group ? context.delegatedBy : null };
    },
  };

  const set: ToolSpec = {
    name: "set_grants",
    description:
      "Limit what this group or a group below it may do: the rules (e.g. [\"reply\", \"send(platform=telegram)\"]) become a layer every tool call must also pass, " +
      "so they can only narrow; an empty list removes the limits. To see the current rules use get_grants.",
    inputSchema: Type.Object(
      { group: Type.Optional(Group), rules: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 200 }) },
      { additionalProperties: false },
    ),
    defaults: (context) => ({ group: context.group }),
    run(args, context) {
      const group = String(args.group);
      ownSubtree(context.group, group, "limit");
      if (!kit.groups.exists(group)) throw new ToolFailure(`group ${group} does not exist`);
      const rules = args.rules as string[];
      kit.grants.setLimits(group, rules, context.group);
      return rules.length === 0 ? `limits of ${group} removed` : `${group} is limited to ${rules.length} rule${rules.length === 1 ? "" : "s"}`;
    },
  };

  return [get, set];
}
