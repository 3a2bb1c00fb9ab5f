/**
 * The demo harness calling MCP tools end to end through the web channel: a visitor
 * asks it to send to another visitor's chat and to delegate to a child group, and both
 * answers arrive over SSE. Grants apply: a denied call comes back with its rule.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Client } from "../../../core/test/helpers/client.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import type { SseStream } from "../../../core/test/helpers/sse.js";
import type { WebMessage } from "../src/view.js";

let instance: TestInstance | undefined;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await instance?.dispose();
  instance = undefined;
});

async function open(visitor: Client, chat: string): Promise<SseStream> {
  const stream = await visitor.events(chat);
  streams.push(stream);
  return stream;
}

async function answer(stream: SseStream, match: (message: WebMessage) => boolean, what: string): Promise<WebMessage> {
  await stream.until(() => stream.messages<WebMessage>().some(match), 20_000, what);
  return stream.messages<WebMessage>().find(match)!;
}

describe("the demo harness with tools", () => {
  it("sends to a second chat and delegates to a child group", async () => {
    instance = await startInstance();
    instance.kernel.groups.add("main/help", "Help desk");
    const alice = instance.client();
    const bob = instance.client();

    // Bob's chat exists first; Alice's agent then sends into it.
    expect((await bob.say("bob-chat", "hi")).status).toBe(202);
    const bobStream = await open(bob, "bob-chat");
    await answer(bobStream, (message) => message.from_agent, "the answer to bob");

    const aliceStream = await open(alice, "alice-chat");
    const script = ["tools", 'call send {"chat":"web:local/bob-chat","text":"Alice says hello"}', 'call delegate_group {"group":"main/help","text":"please check the order"}'].join("\n");
    expect((await alice.say("alice-chat", script)).status).toBe(202);

    const report = await answer(aliceStream, (message) => message.from_agent && message.text.includes("[demo] tools:"), "the demo's tool report");
    expect(report.text).toMatch(/^\[demo\] tools: add_route, cancel_task, delegate_group, delete, delete_route, edit, escalate_group, /m);
    expect(report.text).toMatch(/^\[demo\] send: \{/m);
    expect(report.text).toMatch(/^\[demo\] delegate_group: \{\n {2}"delegated_to": "main\/help"/m);

    const delivered = await answer(bobStream, (message) => message.text === "Alice says hello", "the sent message in bob's chat");
    expect(delivered).toMatchObject({ from_agent: true, group: "main" });

    const delegated = await answer(aliceStream, (message) => message.from_agent && message.group === "main/help", "main/help's answer");
    expect(delegated.text).toMatch(/^\[demo\] .* You said: please check the order$/);
  });

  it("reports a denied call with its rule", async () => {
    instance = await startInstance();
    await instance.kernel.runCli(["grants", "set", "main", "!send(chat=web:local/private)"]);
    const alice = instance.client();
    const stream = await open(alice, "a1");
    await alice.say("a1", 'call send {"chat":"web:local/private","text":"x"}');
    const report = await answer(stream, (message) => message.from_agent, "the report");
    expect(report.text).toContain("[demo] send: send denied: denied by grant rule !send(chat=web:local/private)");
  });
});
