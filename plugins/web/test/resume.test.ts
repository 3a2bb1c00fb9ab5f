/**
 * Resuming the web chat's event stream. A reconnecting EventSource must get only the
 * events it has not seen. The fault this guards against is a server that sends the
 * whole transcript on every reconnect (no `id:` on events), so the page shows the
 * conversation twice.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestInstance } from "../../../core/test/helpers/instance.js";
import { sleep } from "../../../core/test/helpers/wait.js";
import { Browser } from "./helpers/browser.js";
import { converse, fillChat, scriptedConfig, type WebMessage } from "./helpers/chat.js";
import type { EventSourceReader } from "./helpers/event-source.js";
import { InstancePool } from "./helpers/instances.js";

/** Ten user messages and ten agent replies: 20 `message` events. */
const ROUNDS = 10;
const HISTORY = 2 * ROUNDS;
/** How long a finished stream is watched for events that should not come. */
const SETTLE_MS = 400;

const pool = new InstancePool();
afterEach(() => pool.disposeAll());

const seqsOf = (reader: EventSourceReader) => reader.messages<WebMessage>().map((message) => message.seq);

async function waitForMessages(reader: EventSourceReader, count: number, description: string): Promise<void> {
  await reader.until((r) => r.ofType("message").length >= count, 20_000, description);
}

describe("resume after a dropped stream", () => {
  let instance: TestInstance;
  let browser: Browser;
  /** The first stream, read to the end of the 20-message history and then dropped. */
  let first: EventSourceReader;
  /** The 20th event's seq, the resume point of the dropped stream. */
  let lastSeq: number;

  beforeEach(async () => {
    instance = await pool.start({ config: scriptedConfig() });
    browser = new Browser(instance.url);
    await fillChat(browser, "s1", ROUNDS);

    first = await browser.events("s1");
    await waitForMessages(first, HISTORY, "the 20 history events");
    await sleep(SETTLE_MS);
    first.close();
    lastSeq = first.messages<WebMessage>().at(-1)!.seq;
  }, 60_000);

  it("gives every message its seq as id", () => {
    const events = first.ofType("message");

    expect(events).toHaveLength(HISTORY);
    for (const event of events) expect(event.id).toBe(String((JSON.parse(event.data) as WebMessage).seq));
    expect(first.lastEventId).toBe(String(lastSeq));
  });

  it("sends the history once in seq order", () => {
    const seqs = seqsOf(first);

    expect(new Set(seqs).size).toBe(HISTORY);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(first.ofType("reset")).toEqual([]);
  });

  it("resumes after Last-Event-ID without repeats", async () => {
    const { question, answer } = await converse(browser, "s1", "one more");

    const resumed = await browser.reconnect("s1", first);
    await waitForMessages(resumed, 2, "events 21 and 22");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(resumed.status).toBe(200);
    expect(seqsOf(resumed)).toEqual([question.seq, answer.seq]);
    expect(seqsOf(resumed).every((seq) => seq > lastSeq)).toBe(true);
    expect(resumed.ofType("message").map((event) => event.id)).toEqual([String(question.seq), String(answer.seq)]);
    expect(resumed.ofType("reset")).toEqual([]);
  });

  it("resumes after the after query without repeats", async () => {
    const { question, answer } = await converse(browser, "s1", "one more");

    const resumed = await browser.events("s1", { query: `?after=${lastSeq}` });
    await waitForMessages(resumed, 2, "events 21 and 22");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(seqsOf(resumed)).toEqual([question.seq, answer.seq]);
    expect(resumed.ofType("message").map((event) => event.id)).toEqual([String(question.seq), String(answer.seq)]);
    expect(resumed.ofType("reset")).toEqual([]);
  });

  it("follows live events after resuming", async () => {
    const resumed = await browser.reconnect("s1", first);
    await sleep(SETTLE_MS);
    expect(resumed.ofType("message")).toEqual([]);

    const { question, answer } = await converse(browser, "s1", "live one");
    await waitForMessages(resumed, 2, "the live events");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(seqsOf(resumed)).toEqual([question.seq, answer.seq]);
  });

  it("resumes without repeats across a restart", async () => {
    const live = await browser.events("s1");
    await waitForMessages(live, HISTORY, "the history before the restart");
    await instance.stop();
    await live.untilEnded();

    const restarted = await pool.start({ config: scriptedConfig(), dir: instance.dir });
    browser.base = restarted.url;
    const { question, answer } = await converse(browser, "s1", "after the restart");

    const resumed = await browser.reconnect("s1", live);
    await waitForMessages(resumed, 2, "events 21 and 22 after the restart");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(live.lastEventId).toBe(String(lastSeq));
    expect(resumed.status).toBe(200);
    expect(seqsOf(resumed)).toEqual([question.seq, answer.seq]);
    expect(question.seq).toBeGreaterThan(lastSeq);
    expect(resumed.ofType("reset")).toEqual([]);
  }, 60_000);

  describe("with a resume point from elsewhere", () => {
    const sources: Array<[string, () => Promise<{ lastEventId?: string; query?: string }>]> = [
      ["an unknown seq as Last-Event-ID", async () => ({ lastEventId: "999999" })],
      ["an unknown seq as after", async () => ({ query: "?after=999999" })],
      [
        "another chat's seq as Last-Event-ID",
        async () => {
          const { answer } = await converse(browser, "s2", "in another chat");
          return { lastEventId: String(answer.seq) };
        },
      ],
    ];

    it.each(sources)("resets once for %s", async (_source, resumePoint) => {
      const options = await resumePoint();
      const history = seqsOf(first);

      const resumed = await browser.events("s1", options);
      await waitForMessages(resumed, HISTORY, "the whole history after the reset");
      await sleep(SETTLE_MS);
      resumed.close();

      const resets = resumed.ofType("reset");
      expect(resets).toHaveLength(1);
      expect(resets[0]!.id).toBeNull();
      expect(resumed.events[0]!.type).toBe("reset");
      expect(seqsOf(resumed)).toEqual(history);
      expect(resumed.lastEventId).toBe(String(lastSeq));
    });

    it("resumes normally after a reset", async () => {
      const reset = await browser.events("s1", { lastEventId: "999999" });
      await waitForMessages(reset, HISTORY, "the whole history after the reset");
      reset.close();
      const { question, answer } = await converse(browser, "s1", "after the reset");

      const resumed = await browser.reconnect("s1", reset);
      await waitForMessages(resumed, 2, "the events after the reset");
      await sleep(SETTLE_MS);
      resumed.close();

      expect(resumed.ofType("reset")).toEqual([]);
      expect(seqsOf(resumed)).toEqual([question.seq, answer.seq]);
    });
  });
});

describe("resume across a reset store", () => {
  // The gateway starts on an empty data folder while a page stays open. Each store
  // starts its seqs at a random point, so the page's old Last-Event-ID names no message
  // of the new store and the page is reset instead of silently skipping messages.
  it("resets a page from the old store", async () => {
    const old = await pool.start({ config: scriptedConfig() });
    const browser = new Browser(old.url);
    await fillChat(browser, "s1", ROUNDS);
    const page = await browser.events("s1");
    await waitForMessages(page, HISTORY, "the old store's history");
    await old.stop();
    await page.untilEnded();

    const fresh = await pool.start({ config: scriptedConfig() });
    browser.base = fresh.url;
    await fillChat(browser, "s1", ROUNDS + 1);

    const resumed = await browser.reconnect("s1", page);
    await waitForMessages(resumed, 2, "events from the new store");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(resumed.ofType("reset")).toHaveLength(1);
    expect(resumed.ofType("message")).toHaveLength(HISTORY + 2);
  }, 90_000);
});

describe("typing and status events", () => {
  let browser: Browser;
  let stream: EventSourceReader;
  let question: WebMessage;

  beforeEach(async () => {
    const instance = await pool.start({ config: scriptedConfig() });
    browser = new Browser(instance.url);
    stream = await browser.events("s1");
    const posted = await browser.say("s1", "slow 800");
    expect(posted.status).toBe(202);
    await stream.until((r) => r.ofType("status").length > 0, 20_000, "the status event after the slow run");
    question = stream.messages<WebMessage>()[0]!;
  }, 60_000);

  afterEach(() => stream.close());

  it("sends typing during a run without ids", () => {
    const typing = stream.ofType("typing");
    const replyIndex = stream.events.findIndex((event) => event.type === "message" && (JSON.parse(event.data) as WebMessage).from_agent);
    const firstTypingIndex = stream.events.findIndex((event) => event.type === "typing");

    expect(typing.length).toBeGreaterThan(0);
    for (const event of typing) expect(event.id).toBeNull();
    expect(JSON.parse(typing[0]!.data)).toMatchObject({ active: true });
    expect(replyIndex).toBeGreaterThan(firstTypingIndex);
  });

  it("sends status after a run without ids", () => {
    const status = stream.ofType("status");

    expect(status).toHaveLength(1);
    expect(status[0]!.id).toBeNull();
    expect(JSON.parse(status[0]!.data)).toMatchObject({ run: "done", group: "main" });
  });

  it("keeps the resume point past signals", async () => {
    const messages = stream.messages<WebMessage>();
    expect(messages.map((message) => message.text)).toEqual(["slow 800", "slow reply to slow 800"]);
    for (const event of stream.events) {
      if (event.type === "message") continue;
      const before = stream.events.slice(0, stream.events.indexOf(event)).filter((e) => e.type === "message").at(-1);
      expect(event.lastEventId).toBe(before?.id ?? "");
    }
    expect(stream.lastEventId).toBe(String(messages.at(-1)!.seq));

    stream.close();
    const next = await converse(browser, "s1", "after the signals");
    const resumed = await browser.reconnect("s1", stream);
    await waitForMessages(resumed, 2, "the events after the signals");
    await sleep(SETTLE_MS);
    resumed.close();

    expect(seqsOf(resumed)).toEqual([next.question.seq, next.answer.seq]);
    expect(seqsOf(resumed)).not.toContain(question.seq);
  });
});

describe("malformed Last-Event-ID", () => {
  let browser: Browser;

  beforeEach(async () => {
    const instance = await pool.start();
    browser = new Browser(instance.url);
  });

  it.each(["abc", "-1", "1.5", "0x10", "12 13"])("rejects %j with 400", async (value) => {
    const response = await browser.events("s1", { lastEventId: value });

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(response.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ARZ_ERR_INVALID_EVENT_ID");
    expect(body.error.message).toContain("Last-Event-ID");
    expect(body.error.message).toContain(JSON.stringify(value));
  });

  it("rejects a non-numeric after query", async () => {
    const response = await browser.events("s1", { query: "?after=abc" });

    expect(response.status).toBe(400);
    const body = JSON.parse(response.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ARZ_ERR_INVALID_REQUEST");
    expect(body.error.message).toContain("after");
  });
});
