/**
 * The WhatsApp channel's behaviour against the fake: linking by QR and pairing code,
 * logout, reconnects with the offline queue, history, our own echoes, mentions,
 * quoted replies, voice notes in and files out.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { downloadMediaMessage, type WAMessage } from "baileys";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, type TestInstance } from "../../../core/test/helpers/instance.js";
import { sleep, waitFor } from "../../../core/test/helpers/wait.js";
import { openSession } from "../src/index.js";
import type { FakeWhatsApp } from "./fake-whatsapp.js";
import { channelOf, offlineHost, rows, startWithWhatsApp, waitConnected } from "./helpers.js";
import { ALICE, AUTH_KEY, BOB, CHAT, GROUP, newFake, PHONE } from "./world.js";

const ME = `${PHONE}@s.whatsapp.net`;
const MAIN_ROUTES = [
  { match: `chat=whatsapp:${PHONE}/* verb=mention`, target: "main" },
  { match: `chat=whatsapp:${PHONE}/* verb=reply`, target: "main" },
];

let fake: FakeWhatsApp;
let instance: TestInstance | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake?.stop();
});

async function linked(options: Parameters<typeof startWithWhatsApp>[0] = {}): Promise<TestInstance> {
  fake = await newFake();
  instance = await startWithWhatsApp({ routes: MAIN_ROUTES, ...options });
  await waitConnected(instance);
  return instance;
}

const answers = () => fake.sent().filter((send) => "text" in send.content && !("edit" in send.content));
const linkedInStore = (target: TestInstance) => openSession(target.kernel.store.db, PHONE, AUTH_KEY).linked();

describe("linking", () => {
  it("QR link, then history as context", async () => {
    fake = await newFake();
    const offline = await offlineHost();
    cleanups.push(() => rmSync(offline.dir, { recursive: true, force: true }));
    const printed: string[] = [];
    const login = offline.kernel.runCli(["whatsapp", "login"], (text) => printed.push(text));

    await waitFor(() => printed.some((text) => text.includes("QR payload: 2@fake-ref-")), { what: "a QR code" });
    expect(printed[0]).toContain("Linked devices");
    expect(printed[0]).toMatch(/[▀▄█]/);
    const history = [await fake.build({ chat: GROUP, from: ALICE, text: "from before the link", timestamp: Math.floor(Date.now() / 1000) - 3600 })];
    fake.acceptLink({ history });

    const result = await login;
    expect(result).toMatchObject({ exitCode: 0, stderr: "" });
    expect(result.stdout).toContain(`linked ${PHONE} (${PHONE}:7@s.whatsapp.net); start arizuko to connect`);
    await offline.kernel.stop("test");
    const log = readFileSync(offline.log, "utf8");
    expect(log).toContain("WhatsApp QR code ready");
    expect(log).not.toContain(AUTH_KEY);

    // The stored session is sealed: no key material in the clear in the database file.
    instance = await startWithWhatsApp({ dir: offline.dir, linked: false, routes: MAIN_ROUTES });
    await waitConnected(instance);
    expect(linkedInStore(instance)).toBe(true);
    const noise = Buffer.from(fake.sockets.at(-1)!.creds.noiseKey.private).toString("base64");
    expect(readFileSync(join(instance.dataDir, "arizuko.db")).includes(noise)).toBe(false);

    const stored = await waitFor(() => rows(instance!).find((row) => row.text === "from before the link"), { what: "the history message" });
    expect(stored).toMatchObject({ state: "context", routeReason: "history WhatsApp sent when the account was linked" });
    await sleep(300);
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get()).toEqual({ n: 0 });
  });

  it("pairing code link", async () => {
    fake = await newFake();
    const offline = await offlineHost();
    cleanups.push(async () => {
      await offline.kernel.stop("test");
      rmSync(offline.dir, { recursive: true, force: true });
    });
    const printed: string[] = [];
    const login = offline.kernel.runCli(["whatsapp", "login", PHONE, "--pairing-code"], (text) => printed.push(text));

    await waitFor(() => printed.some((text) => text.includes("FAKE-CODE")), { what: "the pairing code" });
    expect(printed.join("")).not.toContain("QR payload");
    fake.acceptLink();
    expect(await login).toMatchObject({ exitCode: 0 });
    expect(openSession(offline.kernel.store.db, PHONE, AUTH_KEY).linked()).toBe(true);
  });

  it("link expiry and wrong phone", async () => {
    fake = await newFake();
    fake.qrRefs = 2;
    fake.qrIntervalMs = 50;
    const offline = await offlineHost();
    cleanups.push(async () => {
      await offline.kernel.stop("test");
      rmSync(offline.dir, { recursive: true, force: true });
    });

    const expired = await offline.kernel.runCli(["whatsapp", "login"], () => {});
    expect(expired).toMatchObject({ exitCode: 1 });
    expect(expired.stderr).toContain("no phone accepted the code in time");

    fake.qrRefs = 50;
    const printed: string[] = [];
    const login = offline.kernel.runCli(["whatsapp", "login"], (text) => printed.push(text));
    await waitFor(() => printed.length > 0, { what: "a QR code" });
    fake.acceptLink({ phone: "491709999999" });
    const wrong = await login;
    expect(wrong.stderr).toContain("the phone that accepted the link is +491709999999, but the account is configured as 491700000001");
    expect(openSession(offline.kernel.store.db, PHONE, AUTH_KEY).linked()).toBe(false);
  });

  it("every account's start error", async () => {
    fake = await newFake();
    instance = await startWithWhatsApp({ linked: false, config: { accounts: [{ phone: PHONE }, { phone: "491700000009" }] } });
    const error = instance.kernel.health().plugins.whatsapp!.error!;
    expect(error).toContain(`WhatsApp account ${PHONE} is not linked`);
    expect(error).toContain("WhatsApp account 491700000009 is not linked");
  });

  it("start without a readable session", async () => {
    fake = await newFake();
    instance = await startWithWhatsApp({ linked: false });
    expect(instance.kernel.health().plugins.whatsapp).toMatchObject({ state: "failed", error: expect.stringContaining(`run \`arizuko whatsapp login ${PHONE}\``) });
    const login = await instance.kernel.runCli(["whatsapp", "login"]);
    expect(login.stderr).toContain("`arizuko whatsapp` is unavailable in the running instance: plugin whatsapp failed");
    const dir = instance.dir;
    await instance.stop();

    instance = await startWithWhatsApp({ dir, config: { authKey: "another-key-0123456789abcdefghijklmnop" } });
    expect(instance.kernel.health().plugins.whatsapp).toMatchObject({ state: "failed", error: expect.stringContaining("cannot be read (it was sealed under another authKey)") });
  });
});

describe("commands", () => {
  it("status, login refusal, offline logout", async () => {
    const running = await linked();
    expect((await running.kernel.runCli(["whatsapp", "status"])).stdout).toBe(`${PHONE}  linked, connected\n`);
    expect((await running.kernel.runCli(["whatsapp", "login"])).stderr).toContain(`WhatsApp account ${PHONE} is already linked; run \`arizuko whatsapp logout ${PHONE}\` first`);
    const dir = running.dir;
    await running.stop();
    instance = undefined;

    const offline = await offlineHost(dir);
    cleanups.push(async () => {
      await offline.kernel.stop("test");
      rmSync(dir, { recursive: true, force: true });
    });
    const logout = await offline.kernel.runCli(["whatsapp", "logout"]);
    expect(logout.stdout).toBe(`WhatsApp account ${PHONE} logged out on WhatsApp and its session deleted\n`);
    expect(fake.linked).toBe(false);
    expect((await offline.kernel.runCli(["whatsapp", "status"])).stdout).toBe(`${PHONE}  not linked (arizuko whatsapp login ${PHONE})\n`);
    expect((await offline.kernel.runCli(["whatsapp", "logout"])).stdout).toBe(`WhatsApp account ${PHONE} is not linked; nothing to do\n`);
  });

  it("logout when WhatsApp is unreachable", async () => {
    const running = await linked();
    fake.reachable = false;
    fake.drop();
    await waitFor(() => channelOf(running).state === "disconnected", { what: "the channel to notice" });

    const logout = await running.kernel.runCli(["whatsapp", "logout"]);
    expect(logout.stdout).toContain("its session is deleted here, but WhatsApp could not be reached (connection closed (408: WebSocket Error (ECONNREFUSED))); remove the device on the phone under Linked devices");
    expect(linkedInStore(running)).toBe(false);
    expect(channelOf(running).detail).toContain("logged out; link again");
  });
});

describe("connection", () => {
  it("logout from the phone, relink", async () => {
    const running = await linked();
    fake.unlinkFromPhone();

    await waitFor(() => channelOf(running).state === "disconnected", { what: "the channel to stop" });
    expect(channelOf(running).detail).toContain(`logged out: the device was removed from the phone's Linked Devices; the session was deleted. Link again with \`arizuko whatsapp login ${PHONE}\``);
    expect(linkedInStore(running)).toBe(false);
    const sockets = fake.sockets.length;
    await sleep(500);
    expect(fake.sockets.length).toBe(sockets);

    const printed: string[] = [];
    const login = running.kernel.runCli(["whatsapp", "login"], (text) => printed.push(text));
    await waitFor(() => printed.length > 0, { what: "a QR code" });
    expect(channelOf(running).detail).toContain("waiting for a phone to link");
    fake.acceptLink();
    expect((await login).stdout).toContain("connecting now");
    await waitConnected(running);
  });

  it("reconnect replays the offline queue once", async () => {
    const running = await linked();
    const before = await fake.send({ chat: GROUP, from: ALICE, text: "seen before the outage" });
    await waitFor(() => rows(running).some((row) => row.platformId === before.key.id), { what: "the first message" });

    fake.reachable = false;
    fake.drop();
    await waitFor(() => channelOf(running).state === "disconnected", { what: "the channel to notice" });
    const missed = await fake.send({ chat: GROUP, from: BOB, text: `@${PHONE} are you there?`, mentions: [ME] });
    fake.deliver(before);
    const old = await fake.send({ chat: GROUP, from: BOB, text: "an old message", timestamp: Math.floor(Date.now() / 1000) - 600 });
    await sleep(300);
    expect(fake.sockets.length).toBeGreaterThan(2);
    fake.reachable = true;

    await waitConnected(running);
    await waitFor(() => answers().length === 1, { timeoutMs: 20_000, what: "the answer to the missed mention" });
    await sleep(500);
    const stored = rows(running);
    expect(stored.filter((row) => row.platformId === missed.key.id)).toHaveLength(1);
    expect(stored.filter((row) => row.platformId === before.key.id)).toHaveLength(1);
    expect(stored.find((row) => row.platformId === old.key.id)).toMatchObject({ state: "context", routeReason: expect.stringContaining("replayed by WhatsApp after a reconnect") });
    expect(answers()).toHaveLength(1);
  });
});

describe("messages", () => {
  it("own echo and phone messages ignored", async () => {
    const running = await linked({ routes: [{ match: `chat=whatsapp:${PHONE}/*`, target: "main" }] });
    const question = await fake.send({ chat: GROUP, from: ALICE, text: "hello?" });
    await waitFor(() => answers().length === 1, { timeoutMs: 20_000, what: "the answer" });

    // The answer's echo came back as `append` with our id; the phone's own message as `notify`.
    const fromPhone = await fake.build({ chat: GROUP, from: ME, text: "typed on the phone" });
    fromPhone.key.fromMe = true;
    fake.deliver(fromPhone);
    await waitFor(() => rows(running).some((row) => row.text === "typed on the phone"), { what: "the phone's message" });
    await sleep(1000);

    const stored = rows(running);
    expect(stored.find((row) => row.platformId === answers()[0]!.message!.key.id)).toBeUndefined();
    expect(stored.find((row) => row.text === "typed on the phone")).toMatchObject({ state: "context", sender: `whatsapp:${ME}` });
    expect(stored.find((row) => row.platformId === question.key.id)?.state).toBe("done");
    expect(answers()).toHaveLength(1);
  });

  it("caption mention and reply chain", async () => {
    const running = await linked();
    const image = await fake.mediaContent({ image: Buffer.from("not really a png"), mimetype: "image/png", caption: `@${PHONE} what is this?`, jpegThumbnail: "" } as never);
    image.imageMessage!.contextInfo = { mentionedJid: [ME] };
    const asked = await fake.send({ chat: GROUP, from: ALICE, content: image });

    await waitFor(() => answers().length === 1, { timeoutMs: 20_000, what: "the answer" });
    const row = rows(running).find((candidate) => candidate.platformId === asked.key.id)!;
    expect(row).toMatchObject({ verb: "mention", text: `@${PHONE} what is this?`, attachments: [{ kind: "image", mime: "image/png" }] });
    expect(answers()[0]!.options?.quoted?.key.id).toBe(asked.key.id);
    expect(answers()[0]!.message!.message?.extendedTextMessage?.contextInfo?.stanzaId).toBe(asked.key.id);

    // Alice quotes the reply, and the reply chain routes hers back.
    const answer = answers()[0]!.message!;
    const followUp = await fake.send({ chat: GROUP, from: ALICE, text: "and then?", quoted: answer });
    await waitFor(() => answers().length === 2, { timeoutMs: 20_000, what: "the second answer" });
    expect(rows(running).find((candidate) => candidate.platformId === followUp.key.id)).toMatchObject({ verb: "reply", replyTo: answer.key.id });
    expect(answers()[1]!.options?.quoted?.key.id).toBe(followUp.key.id);
  });

  it("denied chat neither stored nor archived", async () => {
    const running = await linked({ config: { accounts: [{ phone: PHONE, denyChats: [GROUP] }] } });
    const denied = await fake.send({ chat: GROUP, from: ALICE, text: "in a denied group" });
    const direct = await fake.send({ chat: ALICE, from: ALICE, text: "in a direct chat" });

    await waitFor(() => rows(running, `whatsapp:${PHONE}/${ALICE}`).some((row) => row.platformId === direct.key.id), { what: "the direct message" });
    expect(rows(running)).toEqual([]);
    const archived = (id: string) => running.kernel.store.db.prepare("SELECT count(*) AS n FROM whatsapp_messages WHERE id = ?").get(id);
    expect(archived(denied.key.id!)).toEqual({ n: 0 });
    expect(archived(direct.key.id!)).toEqual({ n: 1 });
  });

  it("voice note in, downloaded", async () => {
    const running = await linked();
    const voice = Buffer.from("OggS fake opus frames for a voice note");
    const content = await fake.mediaContent({ audio: voice, ptt: true, mimetype: "audio/ogg; codecs=opus", seconds: 3, waveform: new Uint8Array(64) } as never);
    const sent = await fake.send({ chat: ALICE, from: ALICE, content });

    const row = await waitFor(() => rows(running, `whatsapp:${PHONE}/${ALICE}`).find((candidate) => candidate.platformId === sent.key.id), { what: "the voice note" });
    expect(row).toMatchObject({ verb: "mention", attachments: [{ kind: "voice", mime: "audio/ogg; codecs=opus", size: voice.length, ref: sent.key.id }] });
    const file = await channelOf(running).channel.fetchAttachment!(row.attachments[0]!.ref);
    expect(Buffer.from(file.data).equals(voice)).toBe(true);
    expect(file.mime).toBe("audio/ogg; codecs=opus");
  });

  it("files and voice out", async () => {
    const running = await linked();
    const dir = tempDir("arizuko-whatsapp-");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const report = join(dir, "report.pdf");
    writeFileSync(report, "%PDF-1.4 a small report");
    const note = join(dir, "note.ogg");
    writeFileSync(note, "OggS voice");

    running.kernel.outbound.notice({ chat: CHAT, topic: "", text: "the **report**", file: { path: report, name: "report.pdf", mime: "application/pdf", size: 23 } });
    running.kernel.outbound.notice({ chat: CHAT, topic: "", text: "", file: { path: note, name: "note.ogg", mime: "audio/ogg", size: 10 } });
    const files = await waitFor(() => {
      const sent = fake.sent().filter((send) => "document" in send.content || "audio" in send.content);
      return sent.length === 2 ? sent : null;
    }, { what: "both files" });

    const document = files.find((send) => "document" in send.content)!.message!;
    expect(document.message?.documentMessage).toMatchObject({ fileName: "report.pdf", mimetype: "application/pdf", caption: "the *report*" });
    expect((await downloadMediaMessage(document as WAMessage, "buffer", {})).toString()).toBe("%PDF-1.4 a small report");
    const audio = files.find((send) => "audio" in send.content)!.message!;
    expect(audio.message?.audioMessage).toMatchObject({ ptt: true, mimetype: "audio/ogg; codecs=opus" });
  });

  it("typing and LID mapping", async () => {
    const running = await linked({ routes: [{ match: `chat=whatsapp:${PHONE}/*`, target: "main" }] });
    fake.lidToPn.set("200000000000002", ALICE);
    await fake.send({ chat: "200000000000002@lid", from: "200000000000002@lid", text: "hi from a LID" });

    const row = await waitFor(() => rows(running, `whatsapp:${PHONE}/${ALICE}`).find((candidate) => candidate.text === "hi from a LID"), { what: "the LID message" });
    expect(row.sender).toBe(`whatsapp:${ALICE}`);
    await waitFor(() => answers().length === 1, { timeoutMs: 20_000, what: "the answer" });
    expect(answers()[0]!.jid).toBe(ALICE);
    expect(fake.presences.some((presence) => presence.type === "composing" && presence.jid === ALICE)).toBe(true);
  });
});
