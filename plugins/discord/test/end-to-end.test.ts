/**
 * A Discord message all the way through: the fake Discord → the discord plugin →
 * admission and the route table → the demo agent → the reply posted back to the fake.
 * The reply must reference the right message in the right channel or thread. A file an
 * agent sends goes through the outbox as an upload.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PLUGINS } from "../../../core/src/config/schema.js";
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { pluginConfig } from "./driver.js";
import { FakeDiscord } from "./fake-discord.js";

let fake: FakeDiscord | undefined;
let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

async function start(): Promise<{ fake: FakeDiscord; instance: TestInstance }> {
  fake = new FakeDiscord({ heartbeatIntervalMs: 5000 });
  await fake.start();
  instance = await startInstance({
    config: { plugins: [...DEFAULT_PLUGINS, { use: "discord", config: pluginConfig(fake) }], admission: { discord: { policy: "open" } } },
  });
  await waitFor(() => instance!.kernel.channels.list().find((channel) => channel.name.startsWith("discord:"))?.state === "ok", { what: "the bot connected" });
  return { fake, instance };
}

describe("discord end to end", () => {
  it("answers mentions in a channel and a thread, and stays quiet on chatter", async () => {
    const { fake, instance } = await start();
    // The rows docs/channels/discord.md gives for guilds: mentions and replies engage.
    const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
    routes.add({ match: `chat=discord:${fake.applicationId}/* verb=mention`, target: "main" });
    routes.add({ match: `chat=discord:${fake.applicationId}/* verb=reply`, target: "main" });
    const ada = fake.addUser("ada");
    const thread = fake.emitThreadCreate("deploys", { owner: ada });

    fake.emitMessage({ author: ada, content: "just chatting" });
    const question = fake.emitMessage({ author: ada, content: `<@${fake.bot.id}> status?` });
    const inThread = fake.emitMessage({ author: ada, channelId: thread.id, content: `<@&${fake.botRole.id}> deploy?` });

    const answers = () => fake.callsTo("POST /channels/:channelId/messages").filter((call) => call.status === 200);
    await waitFor(() => answers().length === 2, { timeoutMs: 20_000, what: "two answers" });
    const byChannel = Object.fromEntries(answers().map((call) => [call.params.channelId, call.body as { content: string; message_reference?: { message_id: string } }]));
    expect(byChannel[fake.textChannel.id]).toMatchObject({ message_reference: { message_id: question.id }, content: expect.stringMatching(/You said: <@\d+> status\?$/) });
    expect(byChannel[thread.id]).toMatchObject({ message_reference: { message_id: inThread.id } });

    const chatter = instance.kernel.store.messages.recent(`discord:${fake.applicationId}/${fake.textChannel.id}`, 10).find((row) => row.text === "just chatting")!;
    expect(chatter.state).toBe("context");
    expect(fake.callsTo("POST /channels/:channelId/typing").length).toBeGreaterThanOrEqual(2);
  });

  it("uploads a file an agent sends", async () => {
    const { fake, instance } = await start();
    const dir = mkdtempSync(join(tmpdir(), "arizuko-discord-"));
    const path = join(dir, "chart.png");
    writeFileSync(path, "PNG bytes");

    instance.kernel.outbound.notice({ chat: `discord:${fake.applicationId}/${fake.textChannel.id}`, topic: "", text: "the chart", file: { path, name: "chart.png", mime: "image/png", size: 9 } });
    const call = await waitFor(() => fake.callsTo("POST /channels/:channelId/messages").find((candidate) => candidate.status === 200), { what: "the upload" });
    expect(call.body).toMatchObject({ content: "the chart", attachments: [{ id: 0, filename: "chart.png" }] });
    expect(call.files.map((file) => [file.filename, file.data.toString()])).toEqual([["chart.png", "PNG bytes"]]);
    rmSync(dir, { recursive: true, force: true });
  });
});
