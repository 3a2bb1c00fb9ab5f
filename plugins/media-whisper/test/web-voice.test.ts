/**
 * A voice note uploaded in the web chat, end to end. A signed-in user uploads an .oga
 * file and sends it, and the web channel serves it to the enricher by ref. The fake
 * Whisper server transcribes it and the agent's prompt carries the transcript. The
 * reply comes back in the web chat, and the dashboard's trace shows the file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person } from "../../web/test/helpers/people.js";
import { fakeWhisper, opusVoiceNote, type FakeWhisper } from "./helpers/fakes.js";

let instance: TestInstance | undefined;
let whisper: FakeWhisper | undefined;

afterEach(async () => {
  await instance?.dispose();
  await whisper?.close();
});

it("transcribes a voice note uploaded in the web chat and answers it there", async () => {
  whisper = await fakeWhisper();
  instance = await startInstance({
    config: {
      runner: { command: fixtureAgent("scripted.mjs") },
      plugins: ["web", "route-table", "dashboard", { use: "media-whisper", config: { transcription: { baseUrl: whisper.url } } }],
    },
  });
  const ada = await person(instance, "ada", { groups: ["main"] });
  const chat = (await ada.post("/web/chats", { group: "main" })).body.chat as string;

  const note = opusVoiceNote(6000);
  const upload = await ada.post(`/web/chats/${chat}/files`, { name: "voice.oga", mime: "audio/ogg", data: note.toString("base64") });
  expect(upload.status).toBe(201);
  expect((await ada.post(`/web/chats/${chat}/messages`, { text: "", attachments: [upload.body.id] })).status).toBe(202);

  const group = join(instance.dataDir, "groups", "main");
  const run = await waitFor(() => {
    try {
      return readFileSync(join(group, "runs.jsonl"), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line))[0];
    } catch {
      return undefined;
    }
  }, { timeoutMs: 20_000, what: "the run" });
  expect(whisper.requests.map((request) => request.fileName)).toEqual(["audio.ogg"]);
  expect(run.prompt).toMatch(/<attachment name="voice\.oga" mime="audio\/ogg; codecs=opus" size="6000" path="media\/\d{8}\/\d+-1-voice\.oga"><transcript>heard 6000 bytes in audio\.ogg<\/transcript><\/attachment>/);
  expect(readFileSync(join(group, run.files[0][0].path)).equals(note)).toBe(true);

  const reply = await waitFor(async () => {
    const messages = (await ada.get(`/web/chats/${chat}/messages`)).body.messages as Array<{ from_agent: boolean; text: string }>;
    return messages.find((message) => message.from_agent);
  }, { what: "the reply in the web chat" });
  expect(reply.text).toContain("echo:");

  // The operator's trace of the message shows where the file went and what was heard.
  const olga = await person(instance, "olga", { operator: true });
  const seq = (instance.kernel.store.db.prepare("SELECT seq FROM messages WHERE files IS NOT NULL").get() as { seq: number }).seq;
  const trace = await olga.get(`/dash/activity/${seq}`);
  expect(trace.body).toContain(`<code>${run.files[0][0].path}</code>`);
  expect(trace.body).toContain('<span class="quote">heard 6000 bytes in audio.ogg</span>');
});
