/**
 * `arizuko doctor` with the Telegram plugin, through the real binary against the fake
 * Bot API: a working token, a token Telegram rejects, a webhook Telegram cannot
 * deliver to, and a Bot API that cannot be reached. Nothing is sent to any chat.
 */
import { linesOf, runDoctor } from "../../../core/test/helpers/doctor.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../core/test/helpers/instance.js";
import { FakeBotApi } from "./fake-bot-api.js";

const GOOD = { id: 600000001, username: "arizuko_demo_bot", token: "600000001:AAgood-token-0123456789" };
const REJECTED = "600000002:AAbad-token-0123456789";
const HOOKED = { id: 600000003, username: "arizuko_hook_bot", token: "600000003:AAhook-token-0123456789" };

let fake: FakeBotApi;
beforeEach(async () => {
  fake = new FakeBotApi();
  fake.addBot(GOOD);
  fake.addBot(HOOKED);
  await fake.start();
});
afterEach(() => fake.stop());


const doctor = (telegram: Record<string, unknown>) => runDoctor(tempDir(), { plugins: ["web", "route-table", { use: "telegram", config: telegram }] });

describe("arizuko doctor with Telegram", () => {
  it("tries each token with getMe and names the one Telegram rejects", async () => {
    const { code, lines } = await doctor({ apiRoot: fake.url, bots: [{ token: GOOD.token }, { token: REJECTED }] });

    expect(linesOf(lines, "telegram:")).toEqual([
      "ok   telegram: bot 600000001: the token works: @arizuko_demo_bot (polling)",
      "fail telegram: bot 600000002: Telegram rejected the token (401 Unauthorized); put the token @BotFather gave in bots[1].token",
    ]);
    expect(code).toBe(1);
    expect(lines.join("\n")).not.toContain("AAbad-token");
    expect(fake.sent).toEqual([]);
  });

  it("reports what Telegram last said about a webhook", async () => {
    fake.webhooks.push({ bot: HOOKED.id, url: "https://chat.example.org/telegram/600000003/webhook" });
    fake.webhookErrors.set(HOOKED.id, { date: 1796500000, message: "Connection timed out" });
    const { code, lines } = await doctor({ apiRoot: fake.url, webhookUrl: "https://chat.example.org", bots: [{ token: HOOKED.token, mode: "webhook" }] });

    expect(linesOf(lines, "telegram:")).toEqual([
      "ok   telegram: bot 600000003: the token works: @arizuko_hook_bot (webhook)",
      "warn telegram: bot 600000003 webhook: Telegram's last delivery to https://chat.example.org/telegram/600000003/webhook failed at 2026-12-05T19:46:40.000Z: Connection timed out; check that the URL reaches arizuko over HTTPS",
    ]);
    expect(code).toBe(0);
  });

  it("fails when the Bot API cannot be reached, without printing the token", async () => {
    const url = fake.url;
    await fake.stop();
    const { code, lines } = await doctor({ apiRoot: url, bots: [{ token: GOOD.token }] });

    const [line] = linesOf(lines, "telegram:");
    expect(line).toMatch(new RegExp(`^fail telegram: bot 600000001: cannot reach the Bot API at ${url} \\(.*ECONNREFUSED.*\\); check apiRoot and this machine's network$`));
    expect(line).not.toContain("AAgood-token");
    expect(code).toBe(1);
  });
});
