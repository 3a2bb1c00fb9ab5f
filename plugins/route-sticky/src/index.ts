/**
 * route-sticky: pins a chat to a group or a topic.
 *
 * Control phase: a message whose whole trimmed text is `@folder` pins the chat to that
 * existing group (`@` alone clears it); `#name` pins the topic (`#` alone clears it).
 * An unknown folder, or one outside the authority of the chat's owning group, gets an
 * error reply and changes nothing.
 *
 * Resolution, stage 200: the pinned group replaces the table's choice when the owner
 * may route there (itself or a direct child); the pinned topic replaces the topic.
 */
import { definePlugin, folderProblem, HOST_API_VERSION, type ControlResult, type JsonSchema, type StoredMessage } from "@arizuko/sdk";
import { Pins } from "./pins.js";

/** Stage of this layer in the resolution waterfall: after the table (100), before replies (300). */
export const ROUTE_STICKY_STAGE = 200;

const GROUP_PIN = /^@([^\s@#]*)$/;
const TOPIC_PIN = /^#([^\s@#]*)$/;
/** Topic names: no spaces, `@` or `#`, at most 64 characters. */
const TOPIC_NAME = /^[^\s@#]{1,64}$/;

export default definePlugin<JsonSchema, Record<string, never>>({
  name: "route-sticky",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Pins a chat to a group (@folder) or a topic (#name).",
  configSchema: { type: "object", properties: {}, additionalProperties: false },
  migrations: new URL("../migrations", import.meta.url),

  register(host) {
    const pins = new Pins(host.db);

    /** Returns the owner an ordinary message from this sender would get; it bounds what a pin may name. */
    const ownerOf = async (message: StoredMessage): Promise<string | null> => {
      const probe = { chat: message.chat, sender: message.sender, text: "", topic: message.topic };
      return (await host.routing.explain(probe)).result.owner;
    };

    host.hooks.onControl.tap(async (message, { dryRun }): Promise<ControlResult | undefined> => {
      const text = message.text.trim();
      const group = GROUP_PIN.exec(text);
      if (group) {
        const folder = group[1]!;
        if (folder === "") {
          if (!dryRun) pins.setGroup(message.chat, null);
          return { reason: "sticky: group pin cleared", reply: "routing → default" };
        }
        const problem = folderProblem(folder);
        if (problem !== null || !host.groups.exists(folder)) {
          return { reason: `sticky: unknown group ${folder}`, reply: `There is no group "${folder}"; nothing changed.` };
        }
        // NOTE: a text~ row can give one message another owner. A pin that fits the usual
        // owner but not that one is passed over for that message only.
        const owner = await ownerOf(message);
        if (!host.routing.mayRoute(owner, folder)) {
          const problem = owner === null ? "no route names a group for this chat" : `${owner} may route only to itself and its direct children`;
          return { reason: `sticky: ${folder} rejected: ${problem}`, reply: `Cannot route to ${folder}: ${problem}. Nothing changed.` };
        }
        if (!dryRun) pins.setGroup(message.chat, folder);
        return { reason: `sticky: pinned to ${folder}`, reply: `routing → ${folder}` };
      }

      const topic = TOPIC_PIN.exec(text);
      if (topic) {
        const name = topic[1]!;
        if (name === "") {
          if (!dryRun) pins.setTopic(message.chat, null);
          return { reason: "sticky: topic pin cleared", reply: "topic → main thread" };
        }
        if (!TOPIC_NAME.test(name)) return undefined;
        if (!dryRun) pins.setTopic(message.chat, name);
        return { reason: `sticky: topic ${name}`, reply: `topic → ${name}` };
      }
      return undefined;
    });

    const pinProblem = (group: string, owner: string | null): string | null => {
      if (!host.groups.exists(group)) return `sticky pin → ${group} passed over: the group no longer exists`;
      if (owner === null) return `sticky pin → ${group} passed over: no route names an owning group`;
      if (!host.routing.mayRoute(owner, group)) return `sticky pin → ${group} passed over: ${owner} may route only to itself and its direct children`;
      return null;
    };

    host.hooks.onResolve.tap(
      (decision, { message }) => {
        const pin = pins.get(message.chat);
        const applied: string[] = [];
        let { target, topic } = decision;

        // A pin to a group the owner may not route to (or one since removed) is passed
        // over, and the reason records why, so explain shows it.
        const problem = pin.group === null ? null : pinProblem(pin.group, decision.owner);
        if (pin.group !== null && problem === null) {
          target = pin.group;
          applied.push(`sticky pin → ${pin.group}`);
        }
        if (pin.topic !== null && target !== null) {
          topic = pin.topic;
          applied.push(`sticky topic ${pin.topic}`);
        }
        if (applied.length === 0) return problem === null ? undefined : { ...decision, reason: `${decision.reason}; ${problem}` };
        const reason = [...applied, ...(problem === null ? [] : [problem])].join("; ");
        return { ...decision, target, topic, layer: "route-sticky", reason };
      },
      { stage: ROUTE_STICKY_STAGE },
    );
  },
});

export { Pins } from "./pins.js";
