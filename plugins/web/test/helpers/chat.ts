/** Shared steps of the web channel tests: the scripted agent, conversations and row counts. */
import type { JsonResponse } from "../../../../core/test/helpers/client.js";
import { fixtureAgent, type TestInstance } from "../../../../core/test/helpers/instance.js";
import { waitFor } from "../../../../core/test/helpers/wait.js";

/** A message as the web API and its event stream return it. */
export interface WebMessage {
  id: string;
  seq: number;
  chat: string;
  sender: string;
  sender_name: string | null;
  text: string;
  from_agent: boolean;
  kind: string;
  group: string | null;
  topic: string;
  reply_to: string | null;
  ts: number;
}

/** Anything that can post and read as one visitor: the core test `Client` or a `Browser`. */
export interface Visitor {
  say(chat: string, text: string, extra?: Record<string, unknown>): Promise<JsonResponse<{ id: string; seq: number; duplicate: boolean }>>;
  get<T = any>(path: string): Promise<JsonResponse<T>>;
}

/** Instance config whose agent is the scripted fixture: it replies "echo: <texts> (context: <n>)". */
export function scriptedConfig(): Record<string, unknown> {
  return { runner: { command: fixtureAgent("scripted.mjs") } };
}

/** Posts `text` and waits until the agent's reply to it is stored; returns both messages. */
export async function converse(visitor: Visitor, chat: string, text: string): Promise<{ question: WebMessage; answer: WebMessage }> {
  const posted = await visitor.say(chat, text);
  if (posted.status !== 202) throw new Error(`posting "${text}" to chat ${chat} failed: ${posted.status} ${JSON.stringify(posted.body)}`);

  const found = await waitFor(
    async () => {
      const history = await visitor.get<{ messages: WebMessage[] }>(`/web/chats/${chat}/messages?after=${posted.body.seq - 1}&limit=1000`);
      const question = history.body.messages.find((message) => message.seq === posted.body.seq);
      const answer = history.body.messages.find((message) => message.from_agent && message.reply_to === posted.body.id);
      return question && answer ? { question, answer } : null;
    },
    { timeoutMs: 20_000, what: `the agent's reply to "${text}" in chat ${chat}` },
  );
  return found;
}

/** Holds `rounds` conversations in `chat`, one at a time, so the chat gets exactly 2 × rounds messages. */
export async function fillChat(visitor: Visitor, chat: string, rounds: number): Promise<void> {
  for (let round = 1; round <= rounds; round++) await converse(visitor, chat, `message ${round}`);
}

/** Rows in a table of the instance's SQLite store. */
export function countRows(instance: TestInstance, table: "messages" | "web_chats"): number {
  const row = instance.kernel.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
  return row.n;
}
