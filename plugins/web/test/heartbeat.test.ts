/**
 * The `: ping` comment that keeps idle event streams open through proxies. It comes
 * every 15 s (HEARTBEAT_MS in src/events.ts), so this test waits that long. It has a
 * file of its own because vitest runs files in parallel, so the wait overlaps the
 * other files' tests.
 */
import { afterEach, expect, it } from "vitest";
import { HEARTBEAT_MS } from "../src/events.js";
import { Browser } from "./helpers/browser.js";
import { converse, scriptedConfig, type WebMessage } from "./helpers/chat.js";
import { InstancePool } from "./helpers/instances.js";

const pool = new InstancePool();
afterEach(() => pool.disposeAll());

it("sends pings without moving the resume point", async () => {
  const instance = await pool.start({ config: scriptedConfig() });
  const browser = new Browser(instance.url);
  const { question, answer } = await converse(browser, "s1", "hello");

  const stream = await browser.events("s1");
  await stream.until((r) => r.comments.some((comment) => comment.text.trim() === "ping"), HEARTBEAT_MS + 10_000, "a ping comment");
  stream.close();

  const pings = stream.comments.filter((comment) => comment.text.trim() === "ping");
  expect(pings.length).toBeGreaterThan(0);
  for (const ping of pings) expect(ping.id).toBeNull();
  expect(stream.messages<WebMessage>().map((message) => message.seq)).toEqual([question.seq, answer.seq]);
  expect(stream.lastEventId).toBe(String(answer.seq));
}, HEARTBEAT_MS + 30_000);
