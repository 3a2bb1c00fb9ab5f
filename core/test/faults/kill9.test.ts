/**
 * kill -9 at random points of the pipeline. Messages stream into four chats while the
 * process is killed at a random moment (so kills land during inbound commits,
 * routing, runs and sends), then it restarts, again and again. Afterwards every
 * message that got its 202 must be answered, and no reply may reach a chat twice,
 * except for a row caught mid-send whose channel cannot confirm it (the web channel
 * can, so none here).
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { openDatabase } from "../../src/store/db.js";
import { Client } from "../helpers/client.js";
import { fixtureAgent, tempDir } from "../helpers/instance.js";
import { startArizuko, type RunningArizuko } from "../helpers/process.js";
import { sleep, waitFor } from "../helpers/wait.js";

/** Trials in `npm test`; `npm run soak` sets ARIZUKO_SOAK for the long form. */
const TRIALS = process.env.ARIZUKO_SOAK ? 100 : 10;
const CHATS = ["k1", "k2", "k3", "k4"];
/** A kill lands this long after the restart, at random: long enough for runs to be under way. */
const KILL_AFTER_MS = { min: 100, max: 900 };

const cwd = tempDir("arizuko-kill9-");
let current: RunningArizuko | undefined;
afterAll(async () => {
  await current?.kill("SIGKILL");
  rmSync(cwd, { recursive: true, force: true });
});

function query<T>(sql: string): T[] {
  const db = openDatabase(join(cwd, "data", "arizuko.db"), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Posts numbered messages to the chats, a few at a time, until `stop()`; records the accepted ones. */
function stream(client: Client, trial: number, accepted: Set<string>) {
  let stopped = false;
  let next = 0;
  const sender = async (chat: string) => {
    while (!stopped) {
      const text = `t${trial}-n${next++}`;
      try {
        const response = await client.say(chat, text, { id: text });
        if (response.status === 202) accepted.add(text);
      } catch {
        return; // the server is gone
      }
      await sleep(5);
    }
  };
  const senders = CHATS.map((chat) => sender(chat));
  return () => {
    stopped = true;
    return Promise.all(senders);
  };
}

describe("kill -9 at random points", () => {
  it(`answers every accepted message across ${TRIALS} kills`, async () => {
    writeFileSync(
      join(cwd, "arizuko.yaml"),
      stringify({ runner: { command: fixtureAgent("scripted.mjs") }, agent: { options: { echoDelayMs: 40 } } }),
    );
    const accepted = new Set<string>();
    const cookie = { value: "" };

    for (let trial = 0; trial < TRIALS; trial += 1) {
      current = await startArizuko(["--port", "0"], { cwd });
      const client = new Client(current.url);
      if (cookie.value) client.setCookie("arizuko_visitor", cookie.value);
      else await client.get("/");
      cookie.value = client.cookieHeader.split("=")[1]!;

      const stop = stream(client, trial, accepted);
      await sleep(KILL_AFTER_MS.min + Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min));
      await current.kill("SIGKILL");
      await stop();
    }

    // A last start, left running until everything accepted is answered.
    current = await startArizuko(["--port", "0"], { cwd });
    await waitFor(
      () => query<{ n: number }>("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state IN ('pending', 'running')")[0]!.n === 0,
      { timeoutMs: 120_000, what: "every message to be answered" },
    );

    const inbound = query<{ platform_id: string; state: string }>("SELECT platform_id, state FROM messages WHERE direction = 'in'");
    const states = new Map(inbound.map((row) => [row.platform_id, row.state]));
    const answers = new Map<string, number>();
    for (const { text } of query<{ text: string }>("SELECT text FROM messages WHERE direction = 'out' AND kind = 'message'")) {
      const body = /^echo: (.*) \(context: \d+\)$/.exec(text)?.[1] ?? "";
      for (const answered of body.split(" | ")) answers.set(answered, (answers.get(answered) ?? 0) + 1);
    }
    const unanswered = [...accepted].filter((text) => states.get(text) !== "done" || !answers.has(text));
    const twice = [...answers].filter(([, count]) => count > 1).map(([text]) => text);
    const undelivered = query<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE state <> 'delivered'")[0]!.n;

    console.log(`kill -9 trials: ${TRIALS}, accepted: ${accepted.size}, stored: ${inbound.length}, answered twice: ${twice.length}`);
    expect(accepted.size).toBeGreaterThan(TRIALS);
    expect(unanswered).toEqual([]);
    expect(twice).toEqual([]);
    expect(undelivered).toBe(0);
  }, 600_000);
});
