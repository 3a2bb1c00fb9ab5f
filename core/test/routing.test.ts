/**
 * The routing table test: each case sets up a chat's state in a real kernel (the test
 * channel, groups main, main/research, main/research/deep, main/ops, other, users and
 * users/test-bob, the scripted agent), requests an explanation of one message from the
 * admin API, then sends it through the live pipeline and checks that the stored decision agrees with
 * the explanation and with what the case expects.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SayOptions } from "./helpers/test-channel.js";
import { OPERATOR, RoutingWorld, type StoredRow, type WorldOptions } from "./helpers/routing-world.js";
import { sleep, waitFor } from "./helpers/wait.js";

type Expected =
  | { control: string; reply?: RegExp }
  | { state: "pending" | "context" | "done"; group: string | null; topic?: string; layer: string; reason?: RegExp };

interface Case {
  name: string;
  world?: WorldOptions;
  /** Earlier messages that give the chat its state; may return options for the message (a reply target). */
  given?: (world: RoutingWorld) => Promise<SayOptions | void>;
  text: string;
  options?: SayOptions;
  expect: Expected;
  /** Checks after the live decision: runs, sessions, what changed. */
  then?: (world: RoutingWorld, row: StoredRow) => Promise<void>;
}

const CHAT = "c";
const say = (world: RoutingWorld, text: string, options: SayOptions = {}) => world.say(CHAT, text, options);
const exchange = (world: RoutingWorld, text: string, options: SayOptions = {}) => world.exchange(CHAT, text, options);

/** Says something afterwards and checks where it went. */
async function next(world: RoutingWorld, group: string, layer: string, topic = ""): Promise<StoredRow> {
  const row = await say(world, "and now?");
  expect([row.group_folder, row.route_layer, row.route_topic]).toEqual([group, layer, topic]);
  return row;
}

/** Lists the session each run of a group's agent resumed, in run order (null: a fresh session). */
function sessions(world: RoutingWorld, folder: string): Array<string | null> {
  return world.runs(folder).map((run) => run.session_id);
}

const cases: Case[] = [
  // The table layer.
  { name: "the default row routes to main", text: "hello", expect: { state: "pending", group: "main", layer: "route-table", reason: /^route #\d+ \(platform=test\) → main$/ } },
  {
    name: "a chat glob picks its row",
    world: { rows: [["chat=*:bot/c", "other"], ["platform=test", "main"]] },
    text: "hello",
    expect: { state: "pending", group: "other", layer: "route-table", reason: /\(chat=\*:bot\/c\) → other/ },
  },
  {
    name: "a glob star stops at a slash",
    world: { rows: [["topic=ops*", "other"], ["platform=test", "main"]] },
    text: "hello",
    options: { topic: "ops/eu" },
    expect: { state: "pending", group: "main", topic: "ops/eu", layer: "route-table", reason: /\(platform=test\)/ },
  },
  {
    name: "a glob star spans the rest of a segment",
    world: { rows: [["chat=test:bot/*", "other"], ["platform=test", "main"]] },
    text: "hello",
    expect: { state: "pending", group: "other", layer: "route-table", reason: /\(chat=test:bot\/\*\)/ },
  },
  {
    name: "key=* matches a present topic",
    world: { rows: [["topic=*", "other"], ["platform=test", "main"]] },
    text: "hello",
    options: { topic: "t42" },
    expect: { state: "pending", group: "other", topic: "t42", layer: "route-table" },
  },
  {
    name: "key=* does not match an empty topic",
    world: { rows: [["topic=*", "other"], ["platform=test", "main"]] },
    text: "hello",
    expect: { state: "pending", group: "main", topic: "", layer: "route-table" },
  },
  {
    name: "key= matches an absent topic",
    world: { rows: [["topic=", "other"], ["platform=test", "main"]] },
    text: "hello",
    expect: { state: "pending", group: "other", layer: "route-table" },
  },
  {
    name: "a negated term matches another sender",
    world: { rows: [["!sender=test:bob", "other"], ["platform=test", "main"]] },
    text: "hello",
    expect: { state: "pending", group: "other", layer: "route-table" },
  },
  {
    name: "a negated term skips its own sender",
    world: { rows: [["!sender=test:bob", "other"], ["platform=test", "main"]] },
    text: "hello",
    options: { sender: "test:bob" },
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "text~ matches ignoring case",
    world: { rows: [["text~^urgent", "other"], ["platform=test", "main"]] },
    text: "URGENT: the site is down",
    expect: { state: "pending", group: "other", layer: "route-table" },
  },
  {
    name: "text~ anchored at the start skips a later word",
    world: { rows: [["text~^urgent", "other"], ["platform=test", "main"]] },
    text: "not urgent at all",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "verb= picks mentions",
    world: { rows: [["verb=mention", "other"], ["platform=test", "main"]] },
    text: "hello bot",
    options: { verb: "mention" },
    expect: { state: "pending", group: "other", layer: "route-table" },
  },
  {
    name: "the first row in seq order wins over a narrower later one",
    world: { rows: [["platform=test", "main"], ["chat=test:bot/c", "other"]] },
    text: "hello",
    expect: { state: "pending", group: "main", layer: "route-table", reason: /\(platform=test\)/ },
  },
  {
    name: "moving a row changes which wins",
    world: { rows: [["platform=test", "main"], ["chat=test:bot/c", "other"]] },
    given: async (world) => {
      const [, narrow] = world.routeIds;
      const moved = await world.admin("PATCH", `/admin/routes/${narrow}`, { seq: 1 });
      expect(moved.body).toMatchObject({ id: narrow, seq: 1 });
    },
    text: "hello",
    expect: { state: "pending", group: "other", layer: "route-table", reason: /\(chat=test:bot\/c\)/ },
  },
  {
    name: "{sender} expands to the sender's group",
    world: { rows: [["platform=test", "users/{sender}"], ["platform=test", "main"]] },
    text: "hello",
    options: { sender: "test:bob" },
    expect: { state: "pending", group: "users/test-bob", layer: "route-table" },
  },
  {
    name: "{sender} naming a missing group skips the row",
    world: { rows: [["platform=test", "users/{sender}"], ["platform=test", "main"]] },
    text: "hello",
    options: { sender: "test:carol" },
    expect: { state: "pending", group: "main", layer: "route-table", reason: /\(platform=test\) → main/ },
  },
  {
    name: "{sender} with no sender (a group speaking) skips the row",
    world: { rows: [["platform=test", "users/{sender}"], ["platform=test", "main"]] },
    given: async (world) => void (await say(world, "hello")),
    text: "a scheduled note",
    options: { sender: "local:main" },
    expect: { state: "pending", group: "main", layer: "route-table", reason: /\(platform=test\) → main/ },
  },
  {
    name: "an observe row stores context and starts nothing",
    world: { rows: [["chat=test:bot/c", "other", "observe"], ["platform=test", "main"]] },
    text: "just chatting",
    expect: { state: "context", group: "other", layer: "route-table" },
  },
  {
    name: "an @child in an observed chat starts nothing",
    world: { rows: [["chat=test:bot/c", "main", "observe"]] },
    text: "@research find sources",
    expect: { state: "context", group: "main/research", layer: "route-prefix" },
  },
  {
    name: "with no route the message is stored and starts nothing",
    world: { rows: [["platform=web", "main"]] },
    text: "anyone?",
    expect: { state: "context", group: null, layer: "none", reason: /^no route$/ },
  },

  // Sticky pins, in the control phase and at stage 200.
  {
    name: "@folder pins the chat",
    text: "@main/research",
    expect: { control: "route-sticky", reply: /^routing → main\/research$/ },
    then: async (world) => void (await next(world, "main/research", "route-sticky")),
  },
  {
    name: "a pinned chat goes to its pin",
    given: async (world) => void (await say(world, "@main/ops")),
    text: "deploy please",
    expect: { state: "pending", group: "main/ops", layer: "route-sticky", reason: /sticky pin → main\/ops/ },
  },
  {
    name: "a sticky group equal to the owner does not fall through",
    given: async (world) => void (await say(world, "@main")),
    text: "hello",
    expect: { state: "pending", group: "main", layer: "route-sticky", reason: /sticky pin → main/ },
  },
  {
    name: "a pin outside the owner's authority is rejected",
    text: "@other",
    expect: { control: "route-sticky", reply: /^Cannot route to other: main may route only to itself and its direct children\. Nothing changed\.$/ },
    then: async (world) => void (await next(world, "main", "route-table")),
  },
  {
    name: "a pin to a grandchild is rejected",
    given: async (world) => void (await say(world, "@main/research")),
    text: "@main/research/deep",
    expect: { control: "route-sticky", reply: /^Cannot route to main\/research\/deep: main may route only/ },
    then: async (world) => void (await next(world, "main/research", "route-sticky")),
  },
  {
    name: "a pin outside one message's owner is passed over",
    world: { rows: [["text~^ops", "other"], ["platform=test", "main"]] },
    given: async (world) => void (await say(world, "@main/research")),
    text: "ops: is the site up?",
    expect: { state: "pending", group: "other", layer: "route-table", reason: /sticky pin → main\/research passed over: other may route only to itself and its direct children/ },
  },
  {
    name: "@ alone clears the pin",
    given: async (world) => void (await say(world, "@main/research")),
    text: "@",
    expect: { control: "route-sticky", reply: /^routing → default$/ },
    then: async (world) => void (await next(world, "main", "route-table")),
  },
  {
    name: "an unknown folder answers with an error and changes nothing",
    given: async (world) => void (await say(world, "@main/research")),
    text: "@nope",
    expect: { control: "route-sticky", reply: /There is no group "nope"; nothing changed/ },
    then: async (world) => void (await next(world, "main/research", "route-sticky")),
  },
  {
    name: "#name pins the topic",
    text: "#deploy",
    expect: { control: "route-sticky", reply: /^topic → deploy$/ },
    then: async (world) => void (await next(world, "main", "route-sticky", "deploy")),
  },
  {
    name: "# alone clears the topic",
    given: async (world) => void (await say(world, "#deploy")),
    text: "#",
    expect: { control: "route-sticky", reply: /^topic → main thread$/ },
    then: async (world) => void (await next(world, "main", "route-table", "")),
  },
  {
    name: "a sticky command sent as a reply is handled as sticky",
    given: async (world) => ({ replyTo: await exchange(world, "hello") }),
    text: "@main/research",
    expect: { control: "route-sticky", reply: /^routing → main\/research$/ },
  },
  {
    name: "#name text and a sticky #name share a session",
    given: async (world) => {
      await exchange(world, "#deploy first");
      await say(world, "#deploy");
    },
    text: "second",
    expect: { state: "pending", group: "main", topic: "deploy", layer: "route-sticky" },
    then: async (world, row) => {
      await world.finished(CHAT, platformIdOf(world, row));
      const [first, second] = world.runs("main");
      expect(first!.texts).toEqual(["first"]);
      expect(second!.session_id).toBe(`scripted-${first!.run_id}`);
    },
  },
  {
    name: "a platform thread is the message's topic",
    text: "hello",
    options: { topic: "t7" },
    expect: { state: "pending", group: "main", topic: "t7", layer: "route-table" },
  },

  // Commands.
  { name: "/ping answers with the chat's sessions", text: "/ping", expect: { control: "route-command", reply: /^pong · no agent session/ } },
  { name: "/chatid answers with the chat JID", text: "/chatid", expect: { control: "route-command", reply: /^chat test:bot\/c$/ } },
  { name: "/help lists the built-ins and plugins' commands", text: "/help", expect: { control: "route-command", reply: /\/new — [\s\S]*\/weather — today's weather/ } },
  { name: "a plugin's command answers", text: "/weather", expect: { control: "route-command", reply: /^sunny$/ } },
  { name: "/status is refused to a member", text: "/status", expect: { control: "route-command", reply: /^\/status is for operators\.$/ } },
  {
    name: "/status answers an operator",
    text: "/status",
    options: { sender: OPERATOR },
    expect: { control: "route-command", reply: /^channels: .*test [a-z]+\ngroups: .*main\/research\/deep/ },
  },
  { name: "/cmd@bot_name works", text: "/ping@arizuko_bot", expect: { control: "route-command", reply: /^pong/ } },
  { name: "an unknown /word is ordinary text", text: "/frobnicate the widget", expect: { state: "pending", group: "main", layer: "route-table" } },
  {
    name: "/new text runs the text in a fresh session",
    given: async (world) => void (await exchange(world, "hello")),
    text: "/new start over",
    expect: { control: "route-command", reply: /^New session for this chat\.$/ },
    then: async (world, row) => {
      await waitFor(() => world.runs("main").length === 2, { what: "the follow-up's run" });
      const [first, second] = world.runs("main");
      expect(first!.session_id).toBeNull();
      expect(second).toMatchObject({ texts: ["start over"], session_id: null });
      const answer = await waitFor(() => world.channel.sent.find((chunk) => chunk.text.startsWith("echo: start over ")), { what: "the follow-up's answer" });
      expect(answer.replyTo).toBe(platformIdOf(world, row));
      expect(await world.finished(CHAT, `${platformIdOf(world, row)}#follow-up`)).toMatchObject({ state: "done", route_layer: "route-table" });
    },
  },
  {
    name: "/new #topic text runs in that topic",
    text: "/new #ops check the logs",
    expect: { control: "route-command", reply: /^New session for topic ops\.$/ },
    then: async (world, row) => {
      const followUp = await world.decided(CHAT, `${platformIdOf(world, row)}#follow-up`);
      expect(followUp).toMatchObject({ group_folder: "main", route_topic: "ops", text: "check the logs" });
    },
  },
  {
    name: "/new in a chat pinned to a topic starts that topic afresh",
    given: async (world) => {
      await say(world, "#deploy");
      await exchange(world, "first");
    },
    text: "/new",
    expect: { control: "route-command", reply: /^New session for topic deploy\.$/ },
    then: async (world) => {
      const row = await next(world, "main", "route-sticky", "deploy");
      await world.finished(CHAT, platformIdOf(world, row));
      expect(sessions(world, "main")).toEqual([null, null]);
    },
  },
  {
    name: "/new during a run keeps the queued messages",
    given: async (world) => {
      await exchange(world, "hello");
      const slow = await say(world, "slow 1500");
      await waitFor(() => world.row(CHAT, platformIdOf(world, slow))?.state === "running", { what: "the slow run" });
      await say(world, "queued one");
    },
    text: "/new",
    expect: { control: "route-command", reply: /once the current run ends; queued messages stay queued/ },
    then: async (world) => {
      await waitFor(() => world.runs("main").length === 3, { what: "the queued message's run" });
      const [, slow, queued] = world.runs("main");
      expect(slow!.session_id).not.toBeNull();
      expect(queued).toMatchObject({ texts: ["queued one"], session_id: null });
    },
  },
  {
    name: "/stop stops the chat's run and is no agent turn",
    given: async (world) => {
      const slow = await say(world, "slow 20000");
      await waitFor(() => world.row(CHAT, platformIdOf(world, slow))?.state === "running", { what: "the slow run" });
    },
    text: "/stop",
    expect: { control: "route-command", reply: /^Stopping 1 run\.$/ },
    then: async (world) => {
      await waitFor(() => (world.kernel.store.db.prepare("SELECT state FROM runs").get() as { state: string }).state === "stopped", { what: "the stopped run" });
      expect(world.runs("main").flatMap((run) => run.texts)).toEqual(["slow 20000"]);
    },
  },
  {
    name: "a command during a run is not added to the run",
    given: async (world) => {
      const slow = await say(world, "slow 800");
      await waitFor(() => world.row(CHAT, platformIdOf(world, slow))?.state === "running", { what: "the slow run" });
    },
    text: "/ping",
    expect: { control: "route-command", reply: /· 0 queued messages · running/ },
    then: async (world) => {
      await waitFor(() => world.runCount() === 1 && world.kernel.executor.liveRuns().length === 0, { what: "the slow run to end" });
      expect(world.runs("main").flatMap((run) => run.texts)).toEqual(["slow 800"]);
    },
  },

  // Replies, stage 300.
  {
    name: "a reply to main's answer goes to main over a pin",
    given: async (world) => {
      const answer = await exchange(world, "hello");
      await say(world, "@main/research");
      return { replyTo: answer };
    },
    text: "tell me more",
    expect: { state: "pending", group: "main", layer: "route-reply", reason: /^reply to main's message/ },
  },
  {
    name: "a reply to a delegated child's message goes to the child",
    given: async (world) => {
      const asked = await say(world, "@research find sources");
      const delegated = await world.delegated(asked);
      return { replyTo: await waitFor(() => world.answerTo(delegated), { what: "the child's answer" }) };
    },
    text: "thanks, and the second one?",
    expect: { state: "pending", group: "main/research", layer: "route-reply" },
    then: async (world, row) => {
      await world.finished(CHAT, platformIdOf(world, row));
      expect(world.runs("main/research").map((run) => run.texts)).toEqual([["find sources"], ["thanks, and the second one?"]]);
      expect(world.runs("main")).toEqual([]);
    },
  },
  {
    name: "a reply to an answer in a #topic returns to that topic",
    given: async (world) => ({ replyTo: await exchange(world, "#ops status?") }),
    text: "and the database?",
    expect: { state: "pending", group: "main", topic: "ops", layer: "route-reply" },
    then: async (world) => {
      // #ops is arizuko's session key, not a platform thread, so replies go to the main thread.
      const answers = await waitFor(() => {
        const sent = world.channel.sent.filter((chunk) => chunk.text.startsWith("echo:"));
        return sent.length === 2 ? sent : undefined;
      }, { what: "both answers" });
      expect(answers.map((chunk) => chunk.topic)).toEqual(["", ""]);
    },
  },
  {
    name: "a child's answer goes to the origin chat and thread",
    text: "@research find sources",
    options: { topic: "t9" },
    expect: { state: "done", group: "main/research", topic: "t9", layer: "route-prefix" },
    then: async (world, row) => {
      const delegated = await world.delegated(row);
      expect(delegated).toMatchObject({ route_topic: "t9", origin_chat: "test:bot/c" });
      await waitFor(() => world.answerTo(delegated), { what: "the child's answer" });
      expect(world.channel.sent.find((chunk) => chunk.text.startsWith("echo:"))).toMatchObject({ chat: "test:bot/c", topic: "t9", text: "echo: find sources (context: 0)" });
    },
  },
  {
    name: "a reply to a person's message is routed as usual",
    given: async (world) => ({ replyTo: (await world.channel.say(CHAT, "I am bob", { sender: "test:bob" })).platformId }),
    text: "hi bob",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "a reply to a host notice is routed as usual",
    given: async (world) => {
      await say(world, "@main/ops");
      return { replyTo: await waitFor(() => world.noticeId(/^routing → main\/ops$/), { what: "the notice" }) };
    },
    text: "ok",
    expect: { state: "pending", group: "main/ops", layer: "route-sticky" },
  },

  // Prefixes, stage 400.
  {
    name: "@child text delegates to the owner's child",
    text: "@research find sources",
    expect: { state: "done", group: "main/research", layer: "route-prefix", reason: /@research prefix: main delegates to main\/research/ },
    then: async (world, row) => {
      const delegated = await world.delegated(row);
      expect(delegated).toMatchObject({ sender: "local:main", origin_chat: "test:bot/c", depth: 1, text: "find sources", group_folder: "main/research" });
      await waitFor(() => world.answerTo(delegated), { what: "the child's answer" });
      // The child's reply points at the person's message on the platform, not at the derived row's id.
      const answer = await waitFor(() => world.channel.sent.find((chunk) => chunk.text.startsWith("echo:")), { what: "the sent answer" });
      expect(answer.replyTo).toBe(platformIdOf(world, row));
      expect(world.runs("main/research").map((run) => run.texts)).toEqual([["find sources"]]);
      expect(world.runs("main")).toEqual([]);
    },
  },
  {
    name: "@name that is no child is ordinary text",
    text: "@nochild find sources",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "@name of a group that is not a child is ordinary text",
    text: "@other find sources",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "#name text runs the text in topic name",
    text: "#ops deploy now",
    expect: { state: "pending", group: "main", topic: "ops", layer: "route-prefix" },
    then: async (world, row) => {
      await world.finished(CHAT, platformIdOf(world, row));
      expect(world.runs("main")[0]!.texts).toEqual(["deploy now"]);
    },
  },
  { name: "an address at the start is no prefix", text: "mail@example.com is my address", expect: { state: "pending", group: "main", layer: "route-table" } },
  { name: "an address mid-sentence is no prefix", text: "write to mail@example.com", expect: { state: "pending", group: "main", layer: "route-table" } },
  {
    name: "a prefix beats a reply",
    given: async (world) => ({ replyTo: await exchange(world, "hello") }),
    text: "@research dig deeper",
    expect: { state: "done", group: "main/research", layer: "route-prefix" },
  },
  {
    name: "a prefix beats a pin",
    given: async (world) => void (await say(world, "@main/ops")),
    text: "@research dig deeper",
    expect: { state: "done", group: "main/research", layer: "route-prefix" },
  },
  {
    name: "delegation deeper than the limit is refused with a notice",
    world: { config: { routing: { maxDelegationDepth: 0 } } },
    text: "@research find sources",
    expect: { state: "context", group: null, layer: "route-prefix", reason: /refused: messages may be delegated at most 0 deep/ },
    then: async (world) => {
      await waitFor(() => world.channel.sent.some((chunk) => /^Not delegated: /.test(chunk.text)), { what: "the refusal notice" });
    },
  },
  {
    name: "two chats delegating to one child get two sessions",
    given: async (world) => {
      const delegated = await world.delegated(await world.say("other-chat", "@research one"));
      await waitFor(() => world.answerTo(delegated), { what: "the first child's answer" });
    },
    text: "@research two",
    expect: { state: "done", group: "main/research", layer: "route-prefix" },
    then: async (world, row) => {
      const delegated = await world.delegated(row);
      await waitFor(() => world.answerTo(delegated), { what: "the second child's answer" });
      expect(sessions(world, "main/research")).toEqual([null, null]);
      const units = world.kernel.store.db.prepare("SELECT chat, session_id FROM sessions WHERE group_folder = 'main/research' ORDER BY chat").all() as Array<{ chat: string; session_id: string }>;
      expect(units.map((unit) => unit.chat)).toEqual(["test:bot/c", "test:bot/other-chat"]);
      expect(new Set(units.map((unit) => unit.session_id)).size).toBe(2);
    },
  },

  // Admission.
  {
    name: "a stranger's message is stored and starts nothing",
    text: "hello",
    options: { sender: "test:mallory" },
    expect: { state: "context", group: null, layer: "admission", reason: /not admitted: sender test:mallory is not on the test allowlist/ },
  },
  {
    name: "a stranger's @folder changes nothing",
    text: "@main/research",
    options: { sender: "test:mallory" },
    expect: { state: "context", group: null, layer: "admission" },
    then: async (world) => {
      expect(world.channel.sent).toEqual([]);
      await next(world, "main", "route-table");
    },
  },
  {
    name: "a stranger's /new changes nothing",
    given: async (world) => void (await exchange(world, "hello")),
    text: "/new",
    options: { sender: "test:mallory" },
    expect: { state: "context", group: null, layer: "admission" },
    then: async (world) => {
      const row = await say(world, "again");
      await world.finished(CHAT, platformIdOf(world, row));
      const [first, second] = world.runs("main");
      expect(second!.session_id).toBe(`scripted-${first!.run_id}`);
    },
  },
  {
    name: "an operator is admitted without being listed",
    text: "hello",
    options: { sender: OPERATOR },
    expect: { state: "pending", group: "main", layer: "route-table" },
  },

  // Context.
  {
    name: "a mention after chatter carries the chatter as context",
    world: { rows: [["verb=mention", "main"]] },
    given: async (world) => {
      await say(world, "chatter one");
      await say(world, "chatter two", { sender: "test:bob" });
    },
    text: "what about the above?",
    options: { verb: "mention" },
    expect: { state: "pending", group: "main", layer: "route-table" },
    then: async (world, row) => {
      await world.finished(CHAT, platformIdOf(world, row));
      expect(world.runs("main")[0]).toMatchObject({ texts: ["what about the above?"], context: ["chatter one", "chatter two"] });
    },
  },

  // Each layer may be left out.
  {
    name: "without route-sticky an @folder is text for the agent",
    world: { plugins: ["web", "route-table", "route-command", "route-reply", "route-prefix"] },
    text: "@main/research",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "without route-command a /command is text for the agent",
    world: { plugins: ["web", "route-table", "route-sticky", "route-reply", "route-prefix"] },
    text: "/ping",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "without route-reply a reply to a child goes by the table",
    world: { plugins: ["web", "route-table", "route-sticky", "route-command", "route-prefix"] },
    given: async (world) => {
      const asked = await say(world, "@research find sources");
      const delegated = await world.delegated(asked);
      return { replyTo: await waitFor(() => world.answerTo(delegated), { what: "the child's answer" }) };
    },
    text: "thanks",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "without route-prefix an @child is text for the owner",
    world: { plugins: ["web", "route-table", "route-sticky", "route-command", "route-reply"] },
    text: "@research find sources",
    expect: { state: "pending", group: "main", layer: "route-table" },
  },
  {
    name: "without route-table nothing names an owner, so nothing runs",
    world: { plugins: ["web", "route-sticky", "route-command", "route-reply", "route-prefix"] },
    given: async (world) => {
      await say(world, "@main");
      const reply = await waitFor(() => world.channel.sent[0], { what: "the pin's reply" });
      expect(reply.text).toBe("Cannot route to main: no route names a group for this chat. Nothing changed.");
    },
    text: "hello",
    expect: { state: "context", group: null, layer: "none", reason: /^no route$/ },
  },
];

function platformIdOf(world: RoutingWorld, row: Pick<StoredRow, "id">): string {
  return (world.kernel.store.db.prepare("SELECT platform_id FROM messages WHERE id = ?").get(row.id) as { platform_id: string }).platform_id;
}

/** Sends a message whose sender is a group (as the scheduler will) through the live intake. */
async function sayAsGroup(world: RoutingWorld, text: string, sender: string): Promise<StoredRow> {
  const record = world.kernel.store.messages.insertDerived(
    { chat: world.channel.jid(CHAT), topic: "", platformId: "from-group", sender, senderName: null, text, replyTo: null, origin: null, depth: 0 },
    Date.now(),
  )!;
  world.kernel.intake.submit(record, "test");
  return world.decided(CHAT, "from-group");
}

let world: RoutingWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

describe("routing table", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((entry) => [entry.name, entry] as const))("%s", async (_name, entry) => {
    world = await RoutingWorld.start(entry.world);
    const options = { sender: "test:alice", ...((await entry.given?.(world)) ?? {}), ...entry.options };
    await world.kernel.intake.idle();
    const runsBefore = world.runCount();

    const explained = await world.explain({
      chat: world.channel.jid(CHAT),
      sender: options.sender,
      text: entry.text,
      ...(options.topic !== undefined && { topic: options.topic }),
      ...(options.verb !== undefined && { verb: options.verb }),
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
    });
    const row = options.sender.startsWith("local:") ? await sayAsGroup(world, entry.text, options.sender) : await say(world, entry.text, options);

    // route explain agrees with the live pipeline.
    const live = { state: row.run_id !== null ? "pending" : row.state, group: row.group_folder, topic: row.route_topic, layer: row.route_layer };
    expect(live).toEqual({ state: explained.result.state, group: explained.result.group, topic: explained.result.topic, layer: explained.result.layer });
    expect(row.route_reason!.startsWith(explained.result.reason)).toBe(true);

    // And both match what the case expects.
    const expected = entry.expect;
    if ("control" in expected) {
      expect(explained.control?.plugin).toBe(expected.control);
      expect(row).toMatchObject({ state: "done", route_layer: expected.control, run_id: null });
      if (expected.reply) {
        const platformId = platformIdOf(world, row);
        const notice = await waitFor(() => world!.channel.sent.find((chunk) => chunk.replyTo === platformId), { what: "the control reply" });
        expect(notice.text).toMatch(expected.reply);
      }
    } else {
      expect(explained.control).toBeNull();
      expect(live).toMatchObject({ state: expected.state, group: expected.group, topic: expected.topic ?? "", layer: expected.layer });
      if (expected.reason) expect(row.route_reason).toMatch(expected.reason);
      if (expected.state === "pending") {
        const done = await world.finished(CHAT, platformIdOf(world, row));
        expect(done.state).toBe("done");
      }
      if (expected.state === "context") {
        await world.kernel.intake.idle();
        await sleep(200);
        expect(world.runCount()).toBe(runsBefore);
      }
    }
    await entry.then?.(world, row);
  });
});
