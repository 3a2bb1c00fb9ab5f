/**
 * The route table inside a real kernel: web channel, SQLite file, fastify on
 * 127.0.0.1 and the scripted fixture agent run as a child process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";

interface InboundRow {
  text: string;
  state: string;
  group_folder: string | null;
  route_layer: string | null;
  route_reason: string | null;
}

interface WebMessage {
  text: string;
  from_agent: boolean;
  group: string | null;
}

let instance: TestInstance | undefined;

afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

function start(): Promise<TestInstance> {
  return startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") } } });
}

async function cli(target: TestInstance, argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return target.kernel.runCli(argv);
}

/** Returns the inbound row with `text` in web chat `chat`, or undefined before it is stored. */
function inbound(target: TestInstance, chat: string, text: string): InboundRow | undefined {
  return target.kernel.store.db
    .prepare("SELECT text, state, group_folder, route_layer, route_reason FROM messages WHERE chat = ? AND direction = 'in' AND text = ?")
    .get(`web:local/${chat}`, text) as InboundRow | undefined;
}

/** Waits until intake has decided the message's fate (a route layer is stored). */
function decided(target: TestInstance, chat: string, text: string): Promise<InboundRow> {
  return waitFor(() => {
    const row = inbound(target, chat, text);
    return row?.route_layer ? row : undefined;
  }, { what: `intake of "${text}" in ${chat}` });
}

function countRuns(target: TestInstance): number {
  return (target.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
}

/** Reads the texts the scripted agent received in `folder`, one list per run. */
function agentTexts(target: TestInstance, folder: string): string[][] {
  try {
    const lines = readFileSync(join(target.kernel.groups.path(folder), "runs.jsonl"), "utf8").split("\n").filter(Boolean);
    return lines.map((line) => (JSON.parse(line) as { texts: string[] }).texts);
  } catch {
    return [];
  }
}

/** Splits `route list` output into rows of cells, without the header. */
function listedRows(stdout: string): string[][] {
  return stdout.trimEnd().split("\n").slice(1).map((line) => line.split(/\s{2,}/));
}

describe("route table in a kernel", () => {
  it("answers each chat from its group", async () => {
    instance = await start();
    expect(await cli(instance, ["group", "add", "support"])).toMatchObject({ exitCode: 0 });
    const added = await cli(instance, ["route", "add", "--seq", "50", "platform=web chat=web:local/s*", "support"]);
    expect(added).toMatchObject({ exitCode: 0, stdout: "route 2 added: platform=web chat=web:local/s* → support (run, seq 50)\n" });

    const visitor = instance.client();
    await visitor.say("s1", "for support");
    await visitor.say("c1", "for main");
    await waitFor(() => inbound(instance!, "s1", "for support")?.state === "done", { what: "the support run" });
    await waitFor(() => inbound(instance!, "c1", "for main")?.state === "done", { what: "the main run" });

    const s1 = (await visitor.get("/web/chats/s1/messages")).body.messages as WebMessage[];
    const c1 = (await visitor.get("/web/chats/c1/messages")).body.messages as WebMessage[];
    expect(s1.map((m) => [m.from_agent, m.group])).toEqual([[false, "support"], [true, "support"]]);
    expect(c1.map((m) => [m.from_agent, m.group])).toEqual([[false, "main"], [true, "main"]]);
    expect(s1[1]!.text).toBe("echo: for support (context: 0)");
  });

  it("runs the agent in the target folder", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    await cli(instance, ["route", "add", "--seq", "50", "chat=web:local/s*", "support"]);

    await instance.client().say("s1", "where am I");
    await waitFor(() => inbound(instance!, "s1", "where am I")?.state === "done", { what: "the support run" });

    expect(agentTexts(instance, "support")).toEqual([["where am I"]]);
    expect(agentTexts(instance, "main")).toEqual([]);
  });

  it("stores the matching route as reason", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    await cli(instance, ["route", "add", "--seq", "50", "chat=web:local/s*", "support"]);

    await instance.client().say("s1", "why");
    const row = await decided(instance, "s1", "why");

    expect(row).toMatchObject({ group_folder: "support", route_layer: "route-table", route_reason: "route #2 (chat=web:local/s*) → support" });
  });

  it("lets the seeded row win by seq", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    const added = await cli(instance, ["route", "add", "chat=web:local/s*", "support"]);
    expect(added.stdout).toContain("(run, seq 200)");

    await instance.client().say("s1", "seed first");
    const row = await decided(instance, "s1", "seed first");

    expect(row.group_folder).toBe("main");
  });

  it("rejects a route to a missing group", async () => {
    instance = await start();
    const result = await instance.kernel.runCli(["route", "add", "--seq", "50", "platform=web", "ghost"]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("group ghost does not exist; create it with `arizuko group add ghost` first");
  });

  it("stores observed messages as context", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    await cli(instance, ["route", "add", "--seq", "50", "--mode", "observe", "chat=web:local/o*", "support"]);

    await instance.client().say("o1", "just watching");
    const row = await decided(instance, "o1", "just watching");

    expect(row).toMatchObject({ state: "context", group_folder: "support", route_layer: "route-table" });
    expect(countRuns(instance)).toBe(0);
  });

  it("stores an unrouted message as context", async () => {
    instance = await start();
    expect(await cli(instance, ["route", "rm", "1"])).toMatchObject({ exitCode: 0, stdout: "route 1 removed\n" });

    await instance.client().say("c1", "anyone there");
    const row = await decided(instance, "c1", "anyone there");

    expect(row).toEqual({ text: "anyone there", state: "context", group_folder: null, route_layer: "none", route_reason: "no route" });
    expect(countRuns(instance)).toBe(0);
  });
});

describe("route commands", () => {
  it("lists rows in seq order", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    await cli(instance, ["route", "add", "--seq", "50", "platform=telegram verb=mention", "support"]);
    await cli(instance, ["route", "add", "--mode", "observe", "", "main"]);

    const listed = await cli(instance, ["route", "list"]);

    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split("\n")[0]!.split(/\s{2,}/)).toEqual(["ID", "SEQ", "MATCH", "TARGET", "MODE"]);
    expect(listedRows(listed.stdout)).toEqual([
      ["2", "50", "platform=telegram verb=mention", "support", "run"],
      ["1", "100", "platform=web", "main", "run"],
      ["3", "200", "(everything)", "main", "observe"],
    ]);
  });

  it("lists an empty table with a hint", async () => {
    instance = await start();
    await cli(instance, ["route", "rm", "1"]);

    const listed = await cli(instance, ["route", "list"]);

    expect(listed).toMatchObject({ exitCode: 0, stdout: "no routes; add one with `arizuko route add <match> <target>`\n" });
  });

  it("removes a row by id", async () => {
    instance = await start();
    await cli(instance, ["group", "add", "support"]);
    await cli(instance, ["route", "add", "platform=telegram", "support"]);

    expect(await cli(instance, ["route", "rm", "2"])).toMatchObject({ exitCode: 0, stdout: "route 2 removed\n" });
    expect(listedRows((await cli(instance, ["route", "list"])).stdout).map((row) => row[0])).toEqual(["1"]);
  });

  it("reports removing an unknown id", async () => {
    instance = await start();

    const removed = await cli(instance, ["route", "rm", "99"]);

    expect(removed.exitCode).toBe(1);
    expect(removed.stderr).toContain('error ARZ_ERR_ROUTE_NOT_FOUND: no route with id "99"');
  });

  // [case, argv after `route add`, expected code, words the message must contain]
  const BAD_ADDS: Array<[string, string[], string, string]> = [
    ["unknown key", ["plat=web", "support"], "ARZ_ERR_ROUTE_MATCH", 'invalid route term "plat=web"'],
    ["term without =", ["platform=web verb", "support"], "ARZ_ERR_ROUTE_MATCH", 'invalid route term "verb"'],
    ["invalid target", ["platform=web", "Support"], "ARZ_ERR_ROUTE_TARGET", 'invalid route target "Support"'],
    ["unknown mode", ["--mode", "ignore", "platform=web", "support"], "ARZ_ERR_ROUTE_MODE", 'invalid route mode "ignore"'],
    ["non-integer seq", ["--seq", "first", "platform=web", "support"], "ARZ_ERR_USAGE", 'got "first"'],
  ];

  it.each(BAD_ADDS)("route add rejects %s", async (_case, argv, code, words) => {
    instance = await start();

    const added = await cli(instance, ["route", "add", ...argv]);

    expect(added.exitCode).toBe(1);
    expect(added.stderr).toContain(`error ${code}: `);
    expect(added.stderr).toContain(words);
    expect(listedRows((await cli(instance, ["route", "list"])).stdout)).toHaveLength(1);
  });
});
