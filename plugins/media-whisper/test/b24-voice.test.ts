/**
 * Fault case B24 with the real Telegram plugin: a voice note is Ogg/Opus with an `.oga`
 * file path, and Whisper accepts `ogg` but not `oga`. The note must reach the fake
 * Whisper server under an extension it accepts, and the agent must see the transcript.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { FakeBotApi } from "../../telegram/test/fake-bot-api.js";
import { fakeWhisper, opusVoiceNote, WHISPER_EXTENSIONS, type FakeWhisper } from "./helpers/fakes.js";

const BOT = { id: 600000001, username: "demo_helper_bot", token: "600000001:TEST-token-b24" };

let fake: FakeBotApi | undefined;
let whisper: FakeWhisper | undefined;
let instance: TestInstance | undefined;

afterEach(async () => {
  await instance?.dispose();
  await fake?.stop();
  await whisper?.close();
});

it("transcribes a Telegram voice note whose file path ends in .oga (B24)", async () => {
  fake = new FakeBotApi();
  fake.addBot(BOT);
  fake.files.set("VOICE_A", { path: "voice/file_7.oga", data: opusVoiceNote(9000), mime: "audio/ogg" });
  await fake.start();
  whisper = await fakeWhisper();
  instance = await startInstance({
    config: {
      runner: { command: fixtureAgent("scripted.mjs") },
      plugins: [
        "route-table",
        { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 } },
        { use: "media-whisper", config: { transcription: { baseUrl: whisper.url } } },
      ],
      admission: { telegram: { policy: "open" } },
    },
  });
  await instance.kernel.runCli(["route", "add", `chat=telegram:${BOT.id}/111`, "main"]);

  const from = { id: 111, is_bot: false, first_name: "Ada" };
  fake.push(BOT.id, {
    message: {
      message_id: 50,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 111, type: "private", first_name: "Ada" },
      from,
      voice: { file_id: "VOICE_A", file_unique_id: "v1", duration: 4, mime_type: "audio/ogg", file_size: 9000 },
    },
  });

  const log = join(instance.dataDir, "groups", "main", "runs.jsonl");
  const run = await waitFor(() => {
    try {
      return JSON.parse(readFileSync(log, "utf8").split("\n")[0]!);
    } catch {
      return undefined;
    }
  }, { timeoutMs: 20_000, what: "the run" });

  expect(whisper.requests).toHaveLength(1);
  expect(WHISPER_EXTENSIONS).toContain(whisper.requests[0]!.fileName.split(".").pop());
  expect(run.files[0][0]).toMatchObject({ name: "voice.oga", size: 9000, transcript: "heard 9000 bytes in audio.ogg" });
  expect(run.prompt).toContain("<transcript>heard 9000 bytes in audio.ogg</transcript>");
  await waitFor(() => fake!.sent.length === 1, { timeoutMs: 20_000, what: "the reply" });
});
