/**
 * route-reply: resolution stage 300. A reply to an agent's message goes to the group and
 * topic that wrote it, so a conversation stays with the group it is having, a delegated
 * child's included. The message replied to is found by the platform id its delivery
 * got. The owner must be allowed to route there (itself or a direct child).
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";

/** After the sticky pins (200), before a message's own prefix (400). */
export const ROUTE_REPLY_STAGE = 300;

export default definePlugin<JsonSchema, Record<string, never>>({
  name: "route-reply",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "A reply to an agent's message goes back to the group and topic that wrote it.",
  configSchema: { type: "object", properties: {}, additionalProperties: false },

  register(host) {
    host.hooks.onResolve.tap(
      (decision, { message }) => {
        if (message.replyTo === null) return undefined;
        const original = host.messages.findByPlatformId(message.chat, message.replyTo);
        if (!original || original.direction !== "out" || original.kind !== "message" || original.group === null) return undefined;
        if (!host.groups.exists(original.group) || !host.routing.mayRoute(decision.owner, original.group)) return undefined;

        return {
          ...decision,
          target: original.group,
          topic: original.routeTopic ?? original.topic,
          layer: "route-reply",
          reason: `reply to ${original.group}'s message ${original.id}`,
        };
      },
      { stage: ROUTE_REPLY_STAGE },
    );
  },
});
