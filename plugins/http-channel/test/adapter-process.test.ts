/**
 * An adapter in its own process (a Node script speaking the protocol) registers,
 * delivers messages and receives replies. Then it goes down while replies pile up,
 * comes back, and receives every reply exactly once and in order per chat.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";

const SECRET = "process-secret-0123456789";
const ADAPTER = fileURLToPath(new URL("./fixtures/adapter.mjs", import.meta.url));

interface AdapterEvent {
  event: string;
  status?: number;
  body?: { chat_jid: string; content: string };
  key?: string;
  port?: number;
}

class AdapterProcess {
  readonly events: AdapterEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(gateway: string) {
    this.child = spawn(process.execPath, [ADAPTER], { env: { ...process.env, GATEWAY_URL: gateway, CHANNEL_SECRET: SECRET, ADAPTER_NAME: "telegram" } });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.events.push(JSON.parse(line) as AdapterEvent));
  }

  async command(command: Record<string, unknown>, answer: string): Promise<AdapterEvent> {
    const seen = this.events.length;
    this.child.stdin.write(JSON.stringify(command) + "\n");
    return waitFor(() => this.events.slice(seen).find((event) => event.event === answer), { what: `the adapter's ${answer}` });
  }

  sent(): AdapterEvent[] {
    return this.events.filter((event) => event.event === "sent" && event.status === 200);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.kill();
    });
  }
}

let instance: TestInstance | undefined;
let adapter: AdapterProcess | undefined;
afterEach(async () => {
  await adapter?.stop();
  await instance?.dispose();
  adapter = undefined;
  instance = undefined;
});

const message = (chat: string, id: number, text: string) => ({
  id: `telegram:${chat}/${id}`,
  chat_jid: `telegram:${chat}`,
  sender: "telegram:user/555",
  sender_name: "Alice",
  content: text,
  timestamp: 1786003200 + id,
  is_group: true,
  source: "telegram",
});

describe("an adapter process", () => {
  it("gets every reply once and in order after an outage", async () => {
    instance = await startInstance({ config: { plugins: [{ use: "http-channel", config: { secret: SECRET, healthIntervalMs: 100, failuresBeforeDown: 3 } }] } });
    adapter = new AdapterProcess(instance.url);
    await waitFor(() => adapter!.events.find((event) => event.event === "listening"), { what: "the adapter to listen" });
    await adapter.command({ op: "register" }, "registered");

    // Delivery: both messages are stored under the adapter's account.
    for (const [chat, id] of [["group/1", 1], ["group/2", 2]] as const) {
      const delivered = await adapter.command({ op: "deliver", body: message(chat, id, `hello from ${chat}`) }, "delivered");
      expect(delivered.status).toBe(200);
    }
    const chats = ["telegram:telegram/group/1", "telegram:telegram/group/2"];
    const stored = instance.kernel.store.db.prepare("SELECT chat, text FROM messages WHERE direction = 'in' ORDER BY seq").all();
    expect(stored).toEqual([
      { chat: chats[0], text: "hello from group/1" },
      { chat: chats[1], text: "hello from group/2" },
    ]);

    // Replies while the adapter is up arrive at its /send.
    const reply = (chat: string, text: string) => instance!.kernel.outbound.notice({ chat, topic: "", text, group: null, replyTo: null });
    reply(chats[0]!, "first answer");
    await waitFor(() => adapter!.sent().length === 1, { what: "the first reply" });
    expect(adapter.sent()[0]!.body).toMatchObject({ chat_jid: "telegram:group/1", content: "first answer" });

    // Down: the health checks fail and the channel is marked disconnected; replies pile up.
    await adapter.command({ op: "down" }, "down");
    await waitFor(() => instance!.kernel.channels.list().find((entry) => entry.name === "telegram")?.state === "disconnected", { what: "the channel to be marked down" });
    for (let index = 1; index <= 3; index += 1) for (const chat of chats) reply(chat, `${chat} reply ${index}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const queued = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'queued'").get() as { n: number };
    expect(queued.n).toBe(6);

    // Back: every piled-up reply arrives once, in order per chat.
    await adapter.command({ op: "up" }, "up");
    await waitFor(() => adapter!.sent().length === 7, { what: "the piled-up replies", timeoutMs: 20_000 });
    const perChat = (jid: string) => adapter!.sent().filter((event) => event.body!.chat_jid === jid).map((event) => event.body!.content);
    expect(perChat("telegram:group/1")).toEqual(["first answer", ...[1, 2, 3].map((index) => `${chats[0]} reply ${index}`)]);
    expect(perChat("telegram:group/2")).toEqual([1, 2, 3].map((index) => `${chats[1]} reply ${index}`));
    const keys = adapter.sent().map((event) => event.key);
    expect(new Set(keys).size).toBe(7);
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'delivered'").get()).toEqual({ n: 7 });
  });
});
