/**
 * route-prefix: resolution stage 400, the last word. A leading `@child text` delegates
 * `text` to a direct child of the owner; a leading `#name text` runs `text` in topic
 * `name` (the same session a sticky `#name` pin leads to). Beats replies, pins and the
 * table, since it is what the sender asked for in this very message.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";
import { parsePrefix } from "./parse.js";

export const ROUTE_PREFIX_STAGE = 400;

export default definePlugin<JsonSchema, Record<string, never>>({
  name: "route-prefix",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "A leading @child delegates to a child group; a leading #topic picks the topic.",
  configSchema: { type: "object", properties: {}, additionalProperties: false },

  register(host) {
    host.hooks.onResolve.tap(
      (decision, { message }) => {
        const prefix = parsePrefix(message.text);
        if (!prefix || decision.target === null) return undefined;

        if (prefix.kind === "topic") {
          return { ...decision, topic: prefix.name, text: prefix.text, layer: "route-prefix", reason: `#${prefix.name} prefix` };
        }

        const parent = decision.owner;
        if (parent === null) return undefined;
        const child = `${parent}/${prefix.name}`;
        if (!host.groups.exists(child) || !host.routing.mayRoute(parent, child)) return undefined;
        return {
          ...decision,
          target: child,
          text: prefix.text,
          delegation: { from: parent },
          layer: "route-prefix",
          reason: `@${prefix.name} prefix: ${parent} delegates to ${child}`,
        };
      },
      { stage: ROUTE_PREFIX_STAGE },
    );
  },
});

export { parsePrefix } from "./parse.js";
