import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { queryData } from "./helpers/query.js";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Kernel, loadConfig } from "../src/index.js";
import { Client } from "./helpers/client.js";
import { tempDir } from "./helpers/instance.js";
import { runArizuko, startArizuko, type RunningArizuko } from "./helpers/process.js";
import { DAY, messageSeqs, seedMessage, seedOutbox, seedRun } from "./helpers/seed.js";
import { waitFor } from "./helpers/wait.js";

const running: RunningArizuko[] = [];
const kernels: Kernel[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const instance of running.splice(0)) await instance.kill("SIGKILL");
  for (const kernel of kernels.splice(0)) await kernel.stop("test finished");
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function workspace(): string {
  const dir = tempDir("arizuko-purge-");
  folders.push(dir);
  return dir;
}

/** Boots a kernel as for a one-off command, on a folder of its own. */
async function offline(): Promise<Kernel> {
  const dir = workspace();
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify({ plugins: [] }));
  const kernel = await Kernel.boot(loadConfig({ file }), "offline", pino({ level: "silent" }));
  kernels.push(kernel);
  return kernel;
}

const query = <T>(cwd: string, sql: string, ...params: unknown[]) => queryData<T>(join(cwd, "data"), sql, ...params);

const now = Date.now();

describe("arizuko chat purge", () => {
  it("empties a chat of the running instance", async () => {
    const cwd = workspace();
    const instance = await startArizuko(["--port", "0"], { cwd });
    running.push(instance);
    const visitor = new Client(instance.url);
    const upload = await visitor.post("/web/chats/s1/files", { name: "note.txt", mime: "text/plain", data: Buffer.from("hi").toString("base64") });
    expect(upload.status).toBe(201);
    const uploaded = join(cwd, "data", "web", "files", upload.body.id);
    expect(existsSync(uploaded)).toBe(true);
    await visitor.say("s1", "hello", { attachments: [upload.body.id] });
    await visitor.say("s2", "hello too");
    await waitFor(() => query<{ n: number }>(cwd, "SELECT count(*) AS n FROM outbox WHERE state = 'delivered'")[0]!.n === 2, { what: "both demo replies" });

    const purged = runArizuko(["chat", "purge", "web:local/s1"], cwd);

    expect(purged.stderr).toBe("");
    expect(purged.stdout).toBe("chat web:local/s1 purged: 2 messages, 1 outbox row, 0 media files, 1 run record, 0 tool calls, 1 session removed\n");
    expect(query(cwd, "SELECT chat FROM messages ORDER BY seq")).toEqual([{ chat: "web:local/s2" }, { chat: "web:local/s2" }]);
    expect(query(cwd, "SELECT chat FROM runs")).toEqual([{ chat: "web:local/s2" }]);
    expect(query(cwd, "SELECT jid FROM chats")).toEqual([{ jid: "web:local/s2" }]);
    expect(query(cwd, "SELECT action, target, detail FROM audit")).toEqual([{ action: "chat purge", target: "web:local/s1", detail: null }]);
    // The web plugin deletes the upload the purged message carried.
    await waitFor(() => !existsSync(uploaded), { what: "the uploaded file to go" });
    expect(query(cwd, "SELECT id FROM web_files")).toEqual([]);
  });

  it("rejects a chat with work in flight", async () => {
    const kernel = await offline();
    kernel.groups.add("alpha");
    seedMessage(kernel, { chat: "test:bot/c1", group: "alpha", ts: now - DAY });
    seedMessage(kernel, { chat: "test:bot/c1", group: "alpha", ts: now, state: "pending" });
    const reply = seedMessage(kernel, { chat: "test:bot/c2", group: "alpha", ts: now, direction: "out" });
    seedOutbox(kernel, reply, "queued", now);

    const pending = await kernel.runCli(["chat", "purge", "test:bot/c1"]);
    const undelivered = await kernel.runCli(["chat", "purge", "test:bot/c2"]);

    expect(pending.exitCode).toBe(1);
    expect(pending.stderr).toContain("ARZ_ERR_PURGE_BUSY");
    expect(pending.stderr).toContain("chat test:bot/c1 cannot be purged yet: 1 message waiting for a run");
    expect(undelivered.stderr).toContain("1 reply not yet delivered");
    expect(messageSeqs(kernel)).toHaveLength(3);
    const unknown = await kernel.runCli(["chat", "purge", "test:bot/nowhere"]);
    expect(unknown.exitCode).toBe(0);
    expect(unknown.stdout).toContain("chat test:bot/nowhere has no stored messages, runs or sessions; nothing to do");
  });
});

describe("arizuko user export and erase", () => {
  /** Seeds a user ada with a Telegram account, her messages under both senders (one with a file), another person's message and a reply. */
  async function world() {
    const kernel = await offline();
    kernel.groups.add("alpha");
    expect((await kernel.runCli(["user", "add", "ada"])).exitCode).toBe(0);
    const ada = kernel.auth.users.byName("ada")!;
    kernel.auth.identities.link("telegram", "111", ada.id, "Ada L");
    kernel.auth.userGroups.link(ada.id, "alpha");
    const web = seedMessage(kernel, { chat: "web:local/c1", group: "alpha", ts: now, sender: `web:${ada.id}`, file: "media/20260601/1-ada.jpg" });
    const telegram = seedMessage(kernel, { chat: "telegram:600/111", group: "alpha", ts: now, sender: "telegram:111" });
    const other = seedMessage(kernel, { chat: "web:local/c1", group: "alpha", ts: now, sender: "web:v_other" });
    const reply = seedMessage(kernel, { chat: "web:local/c1", group: "alpha", ts: now, sender: "local:alpha", direction: "out" });
    return { kernel, ada, seqs: { web, telegram, other, reply } };
  }

  it("exports an account with the messages of every linked sender", async () => {
    const { kernel, ada, seqs } = await world();
    const file = join(kernel.resolved.dataDir, "ada.json");

    const result = await kernel.runCli(["user", "export", "ada", file]);

    expect(result.stdout.trim()).toBe(`exported ada to ${file} (2 messages)`);
    const data = JSON.parse(readFileSync(file, "utf8"));
    expect(data.account).toMatchObject({ id: ada.id, username: "ada", role: "user", identities: [{ provider: "telegram", subject: "111", name: "Ada L" }], groups: ["alpha"] });
    expect(data.account).not.toHaveProperty("password_hash");
    expect(data.senders).toEqual([`web:${ada.id}`, "telegram:111"]);
    expect(data.messages.map((message: { seq: number }) => message.seq)).toEqual([seqs.web, seqs.telegram]);
    expect((await kernel.runCli(["user", "export", "ada", file])).stderr).toContain("exists already");
  });

  it("exports by sender JID, with or without an account", async () => {
    const { kernel, seqs } = await world();

    const linked = JSON.parse((await kernel.runCli(["user", "export", "telegram:111"])).stdout);
    const stranger = JSON.parse((await kernel.runCli(["user", "export", "web:v_other"])).stdout);
    const unknown = await kernel.runCli(["user", "export", "nobody"]);

    expect(linked.account.username).toBe("ada");
    expect(stranger.account).toBeNull();
    expect(stranger.messages.map((message: { seq: number }) => message.seq)).toEqual([seqs.other]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("ARZ_ERR_PERSON_NOT_FOUND");
  });

  it("erases the account, its messages and files", async () => {
    const { kernel, ada, seqs } = await world();
    const photo = join(kernel.groups.path("alpha"), "media/20260601/1-ada.jpg");
    expect(existsSync(photo)).toBe(true);

    const result = await kernel.runCli(["user", "erase", "ada"]);

    expect(result.stdout.trim()).toBe(`erased ada: the account, 2 messages, 1 media file, 0 pairing or approval rows (senders web:${ada.id}, telegram:111)`);
    expect(kernel.auth.users.byName("ada")).toBeNull();
    expect(kernel.auth.identities.find("telegram", "111")).toBeNull();
    expect(messageSeqs(kernel)).toEqual([seqs.other, seqs.reply]);
    expect(existsSync(photo)).toBe(false);
  });
});

describe("arizuko group rm --purge", () => {
  it("deletes the group's data and folder", async () => {
    const kernel = await offline();
    kernel.groups.add("alpha");
    kernel.groups.add("beta");
    seedMessage(kernel, { group: "alpha", ts: now, file: "media/20260601/1-a.jpg" });
    seedRun(kernel, { id: "run-alpha", group: "alpha", startedAt: now, endedAt: now });
    const beta = seedMessage(kernel, { group: "beta", ts: now });
    const path = kernel.groups.path("alpha");

    const result = await kernel.runCli(["group", "rm", "--purge", "alpha"]);

    expect(result.stdout.trim()).toBe(`group alpha removed and purged: 1 message, 0 outbox rows, 1 media file, 1 run record, 1 tool call, 0 sessions and the folder ${path} deleted`);
    expect(existsSync(path)).toBe(false);
    expect(kernel.groups.exists("alpha")).toBe(false);
    expect(messageSeqs(kernel)).toEqual([beta]);
  });

  it("deletes nothing while the group is busy", async () => {
    const kernel = await offline();
    kernel.groups.add("alpha");
    const seq = seedMessage(kernel, { group: "alpha", ts: now, state: "pending" });

    const result = await kernel.runCli(["group", "rm", "--purge", "alpha"]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("ARZ_ERR_PURGE_BUSY");
    expect(messageSeqs(kernel)).toEqual([seq]);
    expect(existsSync(kernel.groups.path("alpha"))).toBe(true);
  });
});
