/**
 * Fault case B26, one broken plugin takes every channel down: WhatsApp enabled with no
 * linked session, Telegram (against its fake Bot API) and the web chat beside it.
 * Start-up completes, Telegram and the web chat answer, and `/health` names WhatsApp
 * as failed with its error text.
 */
import { afterEach, expect, it } from "vitest";
import { DEFAULT_PLUGINS } from "../../../core/src/config/schema.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { FakeBotApi } from "../../telegram/test/fake-bot-api.js";
import { BOT } from "../../telegram/test/driver.js";
import type { FakeWhatsApp } from "./fake-whatsapp.js";
import { newFake, PHONE, plugin, pluginConfig } from "./world.js";

let telegram: FakeBotApi | undefined;
let whatsapp: FakeWhatsApp | undefined;
let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  await telegram?.stop();
  await whatsapp?.stop();
});

it("unlinked WhatsApp beside Telegram and web", async () => {
  whatsapp = await newFake();
  telegram = new FakeBotApi();
  telegram.addBot(BOT);
  await telegram.start();
  instance = await startInstance({
    config: {
      plugins: [...DEFAULT_PLUGINS, { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: telegram.url, pollTimeoutS: 1 } }],
      admission: { telegram: { policy: "open" } },
    },
    plugins: [{ definition: plugin, config: pluginConfig() }],
  });

  const health = await instance.client().get("/health");
  expect(health.body.plugins.whatsapp).toEqual({ state: "failed", error: expect.stringMatching(new RegExp(`WhatsApp account ${PHONE} is not linked: stop arizuko, run \`arizuko whatsapp login ${PHONE}\``)) });
  expect(health.body.plugins.telegram.state).toBe("ok");
  expect(health.body.plugins.web.state).toBe("ok");

  const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
  routes.add({ match: `chat=telegram:${BOT.id}/111`, target: "main" });
  telegram.push(BOT.id, { message: { message_id: 5, date: Math.floor(Date.now() / 1000), chat: { id: 111, type: "private", first_name: "Ada" }, from: { id: 111, is_bot: false, first_name: "Ada" }, text: "still there?" } });
  expect((await instance.client().say("b26", "and the web chat?")).status).toBe(202);

  await waitFor(() => telegram!.sent.length === 1, { timeoutMs: 20_000, what: "the Telegram answer" });
  expect(telegram.sent[0]!.text).toMatch(/You said: still there\?$/);
  const webAnswer = () => instance!.kernel.store.messages.recent("web:local/b26", 10).find((row) => row.direction === "out");
  expect((await waitFor(webAnswer, { timeoutMs: 20_000, what: "the web answer" })).text).toMatch(/You said: and the web chat\?$/);
});
