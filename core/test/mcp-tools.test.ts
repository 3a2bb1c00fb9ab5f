/**
 * The agent's MCP tools end to end: a real kernel, a telegram-shaped test channel, and
 * a fixture agent process that connects to each run's unix socket with the SDK's
 * `Client` and runs a script of tool calls (fixtures/agents/mcp-client.mjs).
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { definePlugin } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, tempDir, type TestInstance } from "./helpers/instance.js";
import { testChannel } from "./helpers/test-channel.js";
import { waitFor } from "./helpers/wait.js";

type Step = Record<string, unknown>;
interface CallResult {
  tool: string;
  isError: boolean;
  text: string;
}

const ACCOUNT = "600000001";
const CORE_TOOLS = [
  "delegate_group", "delete", "edit", "escalate_group", "get_grants", "inspect_messages", "inspect_routing", "inspect_session",
  "list_groups", "react", "register_group", "reply", "reset_session", "send", "send_file", "set_grants",
];
const ROUTE_TOOLS = ["add_route", "delete_route", "list_routes", "set_routes"];
const TASK_TOOLS = ["cancel_task", "list_tasks", "pause_task", "resume_task", "schedule_task"];

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function world(options: { config?: Record<string, unknown>; plugins?: Array<ReturnType<typeof definePlugin>>; capabilities?: Record<string, boolean> } = {}) {
  const telegram = testChannel({
    platform: "telegram",
    account: ACCOUNT,
    capabilities: { react: true, edit: true, delete: true, sendFile: true, maxTextLength: 100_000, ...options.capabilities },
  });
  instance = await startInstance({
    plugins: [{ definition: telegram.plugin }, ...(options.plugins ?? []).map((definition) => ({ definition }))],
    config: { runner: { command: fixtureAgent("mcp-client.mjs") }, admission: { telegram: { policy: "open" } }, ...options.config },
  });
  return { telegram, kernel: instance.kernel, cli: (argv: string[]) => instance!.kernel.runCli(argv) };
}

type World = Awaited<ReturnType<typeof world>>;

/** Sends a script to `chat` and returns the fixture's step results. */
async function script(target: World, chat: string, steps: Step[], sender = "telegram:alice"): Promise<any[]> {
  const before = target.telegram.sent.length;
  const jid = target.telegram.jid(chat);
  await target.telegram.say(chat, JSON.stringify({ steps }), { sender });
  const answer = await waitFor(
    () => target.telegram.sent.slice(before).find((chunk) => chunk.chat === jid && chunk.text.startsWith("[")),
    { timeoutMs: 20_000, what: `the script result in ${chat}` },
  );
  return JSON.parse(answer.text);
}

describe("the run's MCP socket", () => {
  it("lists every tool a top-level group may call", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [listed] = await script(target, "c1", [{ list: true }]);
    expect(listed.tools).toEqual([...CORE_TOOLS, ...ROUTE_TOOLS, ...TASK_TOOLS].sort());
  });

  it("lists tools by group depth", async () => {
    const target = await world();
    for (const folder of ["main/help", "main/help/deep"]) target.kernel.groups.add(folder);
    await target.cli(["route", "add", `chat=telegram:${ACCOUNT}/deep`, "main/help/deep"]);
    await target.cli(["route", "add", `chat=telegram:${ACCOUNT}/help`, "main/help"]);
    await target.cli(["route", "add", "platform=telegram", "main"]);

    expect((await script(target, "deep", [{ list: true }]))[0].tools).toEqual(["reply"]);
    expect((await script(target, "help", [{ list: true }]))[0].tools).toEqual(["reply", "send"]);
  });

  it("refuses a wrong or missing token, the previous run's token and the previous run's socket", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [ok] = await script(target, "c1", [{ list: true }]);
    expect(ok.tools.length).toBeGreaterThan(0);

    const [wrong, missing, previous, oldSocket] = await script(target, "c1", [{ token: "wrong" }, { token: "missing" }, { token: "previous" }, { socket: "previous" }]);
    expect(wrong).toMatch(/^refused: .*wrong run token/);
    expect(missing).toMatch(/^refused: .*no run token: set capabilities\.experimental\["arizuko\/run"\]\.token/);
    expect(previous).toMatch(/^refused: .*wrong run token/);
    expect(oldSocket).toMatch(/^refused: .*ENOENT/);
  });

  it("accepts at most 8 connections at a time", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [result] = await script(target, "c1", [{ connections: 9 }]);
    expect(result.opened).toBe(8);
    expect(result.refused).toEqual([expect.stringMatching(/already has 8 connections/)]);
  });

  it("clears sockets and empty unit folders an earlier process left", async () => {
    const dir = tempDir();
    const stale = join(dir, "data", "run", "0123456789ab");
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, "run_old.sock"), "");
    instance = await startInstance({ dir });
    expect(existsSync(stale)).toBe(false);
  });

  it("removes the socket when the run ends", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    await script(target, "c1", [{ list: true }]);
    const { readFileSync, existsSync } = await import("node:fs");
    const lines = readFileSync(join(target.kernel.groups.path("main"), "tokens.jsonl"), "utf8").trim().split("\n");
    const { socket } = JSON.parse(lines[0]!);
    expect(socket).toMatch(/\/run\/[0-9a-f]{12}\/run_[0-9a-z]+\.sock$/);
    await waitFor(() => !existsSync(socket), { what: "the socket to go" });
  });
});

describe("routes from tools", () => {
  it("never lets a group reach a platform its grants do not cover", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [discord, whatsapp, mixed, telegram] = await script(target, "c1", [
      { call: "register_group", args: { folder: "dc", route: "chat=discord:1/2" } },
      { call: "add_route", args: { match: "platform=whatsapp", target: "main" } },
      { call: "set_routes", args: { routes: [{ match: "platform=web", target: "main/tg" }, { match: "platform=telegram", target: "main/tg" }] } },
      { call: "register_group", args: { folder: "tg", route: `chat=${target.telegram.jid("tg")}` } },
    ]);
    expect(discord.text).toBe("register_group denied: no grant rule of main allows register_group");
    expect(whatsapp.text).toBe("add_route denied: no grant rule of main allows add_route");
    expect(mixed.text).toBe("set_routes denied: no grant rule of main allows set_routes");
    expect(telegram.isError).toBe(false);
    expect(target.kernel.groups.exists("main/dc")).toBe(false);
    expect((await target.cli(["grants", "show", "main"])).stdout).not.toMatch(/discord|whatsapp/);
  });

  it("puts a child's route ahead of the parent's, so it takes effect", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [created, delegated] = await script(target, "c1", [
      { call: "register_group", args: { folder: "sales", route: `chat=${target.telegram.jid("sales")}` } },
      { call: "delegate_group", args: { group: "sales", text: "a lead for you" } },
    ]);
    expect(JSON.parse(created.text).route.seq).toBeLessThan(200);
    expect(JSON.parse(delegated.text)).toMatchObject({ delegated_to: "main/sales" });

    await target.telegram.say("sales", "do you sell boats?");
    const answer = await waitFor(() => target.kernel.store.messages.recent(target.telegram.jid("sales"), 5).find((message) => message.direction === "out"));
    expect(answer).toMatchObject({ group: "main/sales", text: "echo: do you sell boats?" });
  });
});

describe("each tool", () => {
  it("runs every core and route tool for a top-level group", async () => {
    const target = await world();
    const { kernel, telegram } = target;
    kernel.groups.add("main/help");
    await target.cli(["route", "add", "platform=telegram", "main"]);
    mkdirSync(join(kernel.groups.path("main"), "media"), { recursive: true });
    writeFileSync(join(kernel.groups.path("main"), "media", "report.txt"), "numbers\n");

    // A first run gives the bot a delivered message to edit and delete.
    await script(target, "c1", [{ list: true }]);
    const c1 = telegram.jid("c1");
    const botMessage = kernel.store.messages.recent(c1, 10).find((message) => message.direction === "out")!;
    await waitFor(() => kernel.store.messages.deliveredIds(botMessage.seq).length > 0);

    const results: CallResult[] = await script(target, "c1", [
      { call: "send", args: { chat: telegram.jid("c2"), text: "to c2" } },
      { call: "reply", args: { text: "a reply" } },
      { call: "send_file", args: { path: "media/report.txt", caption: "the report" } },
      { call: "react", args: { emoji: "👍" } },
      { call: "edit", args: { message_id: botMessage.id, text: "edited" } },
      { call: "delete", args: { message_id: botMessage.id } },
      { call: "delegate_group", args: { group: "main/help", text: "look this up" } },
      { call: "escalate_group", args: { text: "over to you" } },
      { call: "register_group", args: { folder: "sales", name: "Sales", route: `chat=${telegram.jid("sales")}` } },
      { call: "list_groups" },
      { call: "get_grants" },
      { call: "set_grants", args: { group: "main/help", rules: ["reply"] } },
      { call: "reset_session" },
      { call: "inspect_messages", args: { limit: 5 } },
      { call: "inspect_routing", args: { text: "hello" } },
      { call: "inspect_session" },
      { call: "list_routes" },
      { call: "add_route", args: { match: `chat=${telegram.jid("x")}`, target: "main/help" } },
      { call: "set_routes", args: { routes: [{ match: `chat=${telegram.jid("y")}`, target: "main/help" }] } },
    ]);
    const byTool = Object.fromEntries(results.map((result) => [result.tool, result]));
    const failed = results.filter((result) => result.isError).map((result) => `${result.tool}: ${result.text}`);
    expect(failed).toEqual(["escalate_group: escalate_group failed: main is a top-level group; it has no parent to escalate to"]);

    // Messages: send, reply (to the script message), the file with its caption.
    const sent = (chat: string) => telegram.sent.filter((chunk) => chunk.chat === telegram.jid(chat));
    await waitFor(() => sent("c2").length === 1);
    expect(sent("c2")[0]!.text).toBe("to c2");
    const scriptMessage = kernel.store.messages.recent(c1, 20).filter((message) => message.sender === "telegram:alice").at(-1)!;
    await waitFor(() => sent("c1").find((chunk) => chunk.text === "a reply"));
    expect(sent("c1").find((chunk) => chunk.text === "a reply")!.replyTo).toBe(scriptMessage.platformId);
    const file = await waitFor(() => sent("c1").find((chunk) => chunk.file));
    expect(file).toMatchObject({ text: "the report", file: { name: "report.txt", mime: "text/plain", size: 8 } });

    // Actions go straight to the channel with the platform ids.
    const botPlatformId = telegram.platformIds.get(botMessage.id);
    expect(telegram.actions).toEqual([
      { action: "react", chat: c1, id: scriptMessage.platformId, value: "👍" },
      { action: "edit", chat: c1, id: botPlatformId, value: "edited" },
      { action: "delete", chat: c1, id: botPlatformId },
    ]);

    // The delegated child replies in this chat itself.
    await waitFor(() => sent("c1").find((chunk) => chunk.text === "echo: look this up"), { what: "main/help's answer" });
    expect(JSON.parse(byTool.delegate_group!.text)).toMatchObject({ delegated_to: "main/help" });

    // Groups, grants, routes.
    expect(kernel.groups.get("main/sales")).toMatchObject({ name: "Sales" });
    expect(JSON.parse(byTool.list_groups!.text).groups.map((group: { folder: string }) => group.folder)).toEqual(["main", "main/help", "main/sales"]);
    expect(JSON.parse(byTool.get_grants!.text).derived).toContain("*(platform=telegram)");
    expect(kernel.grants.rules("main/help").limits).toEqual([{ group: "main/help", rules: ["reply"] }]);
    expect(byTool.reset_session!.text).toMatch(/fresh session/);
    expect(JSON.parse(byTool.inspect_messages!.text).messages.length).toBe(5);
    expect(JSON.parse(byTool.inspect_routing!.text).result).toMatchObject({ group: "main" });
    expect(JSON.parse(byTool.inspect_session!.text)).toMatchObject({ group: "main", chat: c1, sender_role: "guest" });
    const rows = (await target.cli(["route", "list"])).stdout;
    expect(rows).toContain(`chat=${telegram.jid("y")}`);
    expect(rows).not.toContain(`chat=${telegram.jid("x")}`);
    expect(rows).not.toContain(`chat=${telegram.jid("sales")}`);

    // delete_route: a child's row goes, main's own row stays.
    const routeRows = (kernel.registries.services.get("routes")!.value as { list(): Array<{ id: number; target: string }> }).list();
    const childRow = routeRows.find((row) => row.target === "main/help")!;
    const mainRow = routeRows.find((row) => row.target === "main")!;
    const [deleted, kept] = await script(target, "c1", [
      { call: "delete_route", args: { id: childRow.id } },
      { call: "delete_route", args: { id: mainRow.id } },
    ]);
    expect(deleted).toMatchObject({ isError: false, text: expect.stringMatching(/deleted$/) });
    expect(kept).toMatchObject({ isError: true, text: expect.stringMatching(/brings main its messages; only the operator can remove it/) });
  });
});

describe("grants on calls", () => {
  it("returns the deciding rule of a denied call, and records it", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    await target.cli(["grants", "set", "main", `!send(chat=${target.telegram.jid("secret")})`]);

    const [denied, allowed] = await script(target, "c1", [
      { call: "send", args: { chat: target.telegram.jid("secret"), text: "psst" } },
      { call: "send", args: { chat: target.telegram.jid("open"), text: "hello" } },
    ]);
    expect(denied).toEqual({ tool: "send", isError: true, text: `send denied: denied by grant rule !send(chat=${target.telegram.jid("secret")})` });
    expect(allowed.isError).toBe(false);

    const runId = target.kernel.store.db.prepare("SELECT run_id FROM tool_calls WHERE verdict = 'denied'").get() as { run_id: string };
    const calls = target.kernel.store.toolCalls.forRun(runId.run_id);
    expect(calls.map((call) => [call.tool, call.verdict])).toEqual([["send", "denied"], ["send", "ok"]]);
    expect(calls[0]!.error).toMatch(/denied by grant rule/);
    expect(calls[0]!.paramsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(target.telegram.sent.some((chunk) => chunk.chat === target.telegram.jid("secret"))).toBe(false);
  });

  it("says no rule allows a call outside a second-level group's platforms", async () => {
    const target = await world();
    target.kernel.groups.add("main/help");
    await target.cli(["route", "add", `chat=telegram:${ACCOUNT}/help`, "main/help"]);
    await target.cli(["route", "add", "platform=telegram", "main"]);
    await target.cli(["route", "rm", "1"]); // the seeded web row: main reaches telegram only

    const [result] = await script(target, "help", [{ call: "send", args: { chat: "web:local/elsewhere", text: "hello" } }]);
    expect(result).toEqual({ tool: "send", isError: true, text: "send denied: no grant rule of main/help allows send" });
  });

  it("narrows a delegated run by the delegating group's limits", async () => {
    const target = await world();
    target.kernel.groups.add("main/help");
    await target.cli(["route", "add", "platform=telegram", "main"]);
    // main limits itself to replies; its delegate inherits the limit for that run.
    target.kernel.grants.setLimits("main", ["reply", "delegate_group"], "operator test");
    const [delegated] = await script(target, "c1", [
      { call: "delegate_group", args: { group: "main/help", text: JSON.stringify({ steps: [{ list: true }, { call: "send", args: { chat: target.telegram.jid("c9"), text: "x" } }] }) } },
    ]);
    expect(delegated.isError).toBe(false);
    const childAnswer = await waitFor(() => target.telegram.sent.find((chunk) => chunk.text.startsWith('[{"tools"')));
    const [listed, send] = JSON.parse(childAnswer.text);
    expect(listed.tools).toEqual(["reply"]);
    expect(send).toMatchObject({ isError: true, text: expect.stringMatching(/^no tool "send" in this run; its tools are: reply$/) });
  });

  it("lets a plugin's beforeToolCall tap deny a call that grants allow", async () => {
    const guard = definePlugin({
      name: "guard",
      version: "1.0.0",
      apiVersion: 1,
      register(host) {
        host.hooks.beforeToolCall.tap((subject) => (subject.tool === "reset_session" ? { deny: "guard: not during office hours" } : undefined));
      },
    });
    const target = await world({ plugins: [guard] });
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [reset, session] = await script(target, "c1", [{ call: "reset_session" }, { call: "inspect_session" }]);
    expect(reset).toMatchObject({ isError: true, text: "reset_session denied: guard: not during office hours" });
    expect(session.isError).toBe(false);
  });
});

describe("the call path", () => {
  const slowTools = definePlugin({
    name: "slow-tools",
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      host.tools.register({
        name: "slow_lookup",
        description: "Looks something up slowly.",
        inputSchema: { type: "object", properties: { q: { type: "string", minLength: 1 }, n: { type: "integer", maximum: 5 } }, required: ["q"], additionalProperties: false },
        timeoutMs: 300,
        run: (args, context) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve(`found ${String(args.q)}`), args.q === "slow" ? 5_000 : 10);
            context.signal.addEventListener("abort", () => clearTimeout(timer));
          }),
      });
    },
  });

  it("times out a slow tool, explains invalid arguments and unknown tools", async () => {
    const target = await world({ plugins: [slowTools] });
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [fast, slow, missing, wrongType, extra, unknown] = await script(target, "c1", [
      { call: "slow_lookup", args: { q: "fast" } },
      { call: "slow_lookup", args: { q: "slow" } },
      { call: "slow_lookup", args: {} },
      { call: "slow_lookup", args: { q: "x", n: 9 } },
      { call: "send", args: { chat: target.telegram.jid("c2"), text: "hi", colour: "red" } },
      { call: "launch_rockets", args: {} },
    ]);
    expect(fast).toMatchObject({ isError: false, text: "found fast" });
    expect(slow).toMatchObject({ isError: true, text: expect.stringMatching(/^slow_lookup timed out after 300 ms/) });
    expect(missing.text).toBe('slow_lookup: invalid arguments: (top level): missing required field "q"');
    expect(wrongType.text).toBe("slow_lookup: invalid arguments: n: expected a number <= 5, got 9");
    expect(extra.text).toBe('send: invalid arguments: (top level): unknown field "colour"; remove it or check its spelling');
    expect(unknown.text).toMatch(/^no tool "launch_rockets" in this run; its tools are: add_route, /);

    const verdicts = target.kernel.store.db.prepare("SELECT tool, verdict FROM tool_calls ORDER BY created_at, rowid").all();
    expect(verdicts).toEqual([
      { tool: "slow_lookup", verdict: "ok" },
      { tool: "slow_lookup", verdict: "timeout" },
      { tool: "slow_lookup", verdict: "invalid" },
      { tool: "slow_lookup", verdict: "invalid" },
      { tool: "send", verdict: "invalid" },
      { tool: "launch_rockets", verdict: "unknown" },
    ]);
  });

  it("takes the deadline from config over the tool's own", async () => {
    const target = await world({ plugins: [slowTools], config: { tools: { timeoutsMs: { slow_lookup: 100 } } } });
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [slow] = await script(target, "c1", [{ call: "slow_lookup", args: { q: "slow" } }]);
    expect(slow.text).toMatch(/^slow_lookup timed out after 100 ms/);
  });

  it("says a channel cannot react, edit, delete or send files, with a hint", async () => {
    const target = await world({ capabilities: { react: false, edit: false, delete: false, sendFile: false } });
    await target.cli(["route", "add", "platform=telegram", "main"]);
    writeFileSync(join(target.kernel.groups.path("main"), "notes.txt"), "x");
    const results = await script(target, "c1", [
      { call: "react", args: { emoji: "👍" } },
      { call: "edit", args: { message_id: "m1", text: "x" } },
      { call: "delete", args: { message_id: "m1" } },
      { call: "send_file", args: { path: "notes.txt" } },
    ]);
    expect(results.map((result: CallResult) => result.text)).toEqual([
      "react failed: unsupported on telegram: it cannot react to messages; answer with a short reply instead",
      "edit failed: unsupported on telegram: it cannot edit messages; send a correction with reply instead",
      "delete failed: unsupported on telegram: it cannot delete messages; the message stays; say so in a reply if it matters",
      "send_file failed: unsupported on telegram: it cannot send files; send a link or the file's content as text with send or reply instead",
    ]);
  });

  it("checks the path before the channel", async () => {
    const target = await world({ capabilities: { sendFile: false } });
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const [escape] = await script(target, "c1", [{ call: "send_file", args: { path: "../arizuko.yaml" } }]);
    expect(escape.text).toMatch(/^send_file failed: path "..\/arizuko.yaml" goes through ".."/);
  });

  it("sends only plain files inside the group folder", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const folder = target.kernel.groups.path("main");
    writeFileSync(join(folder, ".env"), "KEY=secret");
    mkdirSync(join(folder, "media"), { recursive: true });
    symlinkSync("/etc/hostname", join(folder, "media", "escape.txt"));
    symlinkSync(join(folder, ".arizuko"), join(folder, "media", "state"));
    const results = await script(target, "c1", [
      { call: "send_file", args: { path: "../../arizuko.yaml" } },
      { call: "send_file", args: { path: ".arizuko/anything" } },
      { call: "send_file", args: { path: ".env" } },
      { call: "send_file", args: { path: "media/escape.txt" } },
      { call: "send_file", args: { path: "media/state" } },
      { call: "send_file", args: { path: "/etc/hostname" } },
      { call: "send_file", args: { path: "media" } },
      { call: "send_file", args: { path: "media/none.pdf" } },
    ]);
    expect(results.map((result: CallResult) => result.text.replace(/^send_file failed: /, ""))).toEqual([
      'path "../../arizuko.yaml" goes through ".."; only files inside the group folder, outside dot-folders, can be sent',
      'path ".arizuko/anything" goes through ".arizuko"; only files inside the group folder, outside dot-folders, can be sent',
      'path ".env" goes through ".env"; only files inside the group folder, outside dot-folders, can be sent',
      'path "media/escape.txt" leads outside the group folder; only files inside it can be sent',
      'path "media/state" leads outside the group folder; only files inside it can be sent',
      'path "/etc/hostname" is absolute; give a path relative to the group folder, e.g. media/report.pdf',
      'path "media" is not a regular file',
      'no file "media/none.pdf" in the group folder',
    ]);
    expect(target.telegram.sent.some((chunk) => chunk.file)).toBe(false);
  });
});

describe("runs side by side", () => {
  it("gives two concurrent runs of one group their own socket, token and chat", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const steps = (chat: string) => [{ sleep: 800 }, { call: "reply", args: { text: `from ${chat}` } }, { call: "inspect_session" }];
    const [first, second] = await Promise.all([script(target, "c1", steps("c1")), script(target, "c2", steps("c2"))]);

    expect(JSON.parse(first[2].text).chat).toBe(target.telegram.jid("c1"));
    expect(JSON.parse(second[2].text).chat).toBe(target.telegram.jid("c2"));
    const replies = target.telegram.sent.filter((chunk) => chunk.text.startsWith("from "));
    expect(replies.map((chunk) => [chunk.chat, chunk.text]).sort()).toEqual([
      [target.telegram.jid("c1"), "from c1"],
      [target.telegram.jid("c2"), "from c2"],
    ]);

    // The two runs overlapped in time, each with its own endpoint.
    const ended = () => target.kernel.store.db.prepare("SELECT started_at, ended_at FROM runs WHERE ended_at IS NOT NULL ORDER BY started_at").all() as Array<{ started_at: number; ended_at: number }>;
    const runs = await waitFor(() => (ended().length === 2 ? ended() : null), { what: "both runs to end" });
    expect(runs).toHaveLength(2);
    expect(runs[1]!.started_at).toBeLessThan(runs[0]!.ended_at);
    const { readFileSync } = await import("node:fs");
    const endpoints = readFileSync(join(target.kernel.groups.path("main"), "tokens.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(new Set(endpoints.map((endpoint) => endpoint.socket)).size).toBe(2);
    expect(new Set(endpoints.map((endpoint) => endpoint.token)).size).toBe(2);
  });
});

describe("fault case B13: reply-to through the MCP send tool", () => {
  const chats = [
    { platform: "telegram", account: "600000001", chat: "-1001000000007", replyTo: "555" },
    { platform: "whatsapp", account: "15550000001", chat: "120363000000000001@g.us", replyTo: "3EB0Q0001" },
    { platform: "discord", account: "700000000000000001", chat: "800000000000000001", replyTo: "900000000000000001" },
  ];

  it("keeps reply_to in the outbox row and hands it to each channel's send()", async () => {
    const channels = chats.map((entry) => testChannel({ platform: entry.platform, account: entry.account }));
    instance = await startInstance({
      plugins: channels.map((channel) => ({ definition: channel.plugin })),
      config: { runner: { command: fixtureAgent("mcp-client.mjs") }, admission: { telegram: { policy: "open" } } },
    });
    await instance.kernel.runCli(["route", "add", "platform=telegram", "main"]);
    await instance.kernel.runCli(["route", "add", "platform=whatsapp", "main"]);
    await instance.kernel.runCli(["route", "add", "platform=discord", "main"]);

    const steps = chats.map((entry) => ({ call: "send", args: { chat: `${entry.platform}:${entry.account}/${entry.chat}`, text: "Here is the answer", reply_to: entry.replyTo } }));
    const [telegram, whatsapp, discord] = channels as [ReturnType<typeof testChannel>, ReturnType<typeof testChannel>, ReturnType<typeof testChannel>];
    const results = await script({ telegram, kernel: instance.kernel, cli: (argv) => instance!.kernel.runCli(argv) }, "ops", steps);
    expect(results.every((result: CallResult) => !result.isError)).toBe(true);

    for (const [index, channel] of [telegram, whatsapp, discord].entries()) {
      const entry = chats[index]!;
      const jid = `${entry.platform}:${entry.account}/${entry.chat}`;
      const chunk = await waitFor(() => channel.sent.find((sent) => sent.chat === jid && sent.text === "Here is the answer"));
      expect(chunk.replyTo).toBe(entry.replyTo);
      const row = instance.kernel.store.db.prepare("SELECT reply_to FROM outbox WHERE chat = ?").get(jid) as { reply_to: string };
      expect(row.reply_to).toBe(entry.replyTo);
    }
  });

  it("hands reply's message_id to send() as the platform id it names", async () => {
    const target = await world();
    await target.cli(["route", "add", "platform=telegram", "main"]);
    const chat = "-1001000000007";
    await target.telegram.say(chat, "What is the answer?", { id: "555" });
    await waitFor(() => target.telegram.sent.find((chunk) => chunk.chat === target.telegram.jid(chat)));
    const question = target.kernel.store.messages.findByPlatformId(target.telegram.jid(chat), "555")!;

    const [byId, byPlatformId] = await script(target, chat, [
      { call: "reply", args: { text: "Here is the answer", message_id: question.id } },
      { call: "reply", args: { text: "And once more", message_id: "555" } },
    ]);
    expect(byId.isError).toBe(false);
    expect(byPlatformId.isError).toBe(false);
    const answer = await waitFor(() => target.telegram.sent.find((chunk) => chunk.text === "Here is the answer"));
    const again = await waitFor(() => target.telegram.sent.find((chunk) => chunk.text === "And once more"));
    expect(answer.replyTo).toBe("555");
    expect(again.replyTo).toBe("555");
  });
});

describe("channel actions", () => {
  it("refuses a channel that declares an action without its method", async () => {
    const broken = definePlugin({
      name: "half-channel",
      version: "1.0.0",
      apiVersion: 1,
      register(host) {
        host.channels.register({ name: "half", prefixes: ["half:bot/"], capabilities: { send: true, react: true, maxTextLength: 100 }, send: async () => ({ platformMessageId: "1" }) });
      },
    });
    instance = await startInstance({ plugins: [{ definition: broken }] });
    expect(instance.kernel.health().plugins["half-channel"]).toEqual({ state: "failed", error: expect.stringContaining("capabilities.react is set but react() is missing") });
  });
});
