/**
 * `arizuko doctor` with the Discord plugin, through the real binary against the fake
 * Discord: a working token, a token Discord rejects, and an API that cannot be reached.
 * The check uses REST only: no gateway session, no message.
 */
import { linesOf, runDoctor } from "../../../core/test/helpers/doctor.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../core/test/helpers/instance.js";
import { FakeDiscord } from "./fake-discord.js";

let fake: FakeDiscord;
beforeEach(async () => {
  fake = new FakeDiscord();
  await fake.start();
});
afterEach(() => fake.stop());

const doctor = (discord: Record<string, unknown>) => runDoctor(tempDir(), { plugins: ["web", "route-table", { use: "discord", config: discord }] });

describe("arizuko doctor with Discord", () => {
  it("tries each token on the REST API and names the one Discord rejects", async () => {
    const id = fake.bot.id;
    const rejected = `${Buffer.from("100000000000000002").toString("base64url")}.GfAkE0.wrong-secret-part`;
    const { code, lines } = await doctor({ apiRoot: fake.apiBase, bots: [{ token: fake.token }, { token: rejected }] });

    expect(linesOf(lines, "discord:")).toEqual([
      `ok   discord: bot ${id}: the token works: arizuko-test-bot (${id})`,
      "fail discord: bot 100000000000000002: Discord rejected the token (401 401: Unauthorized); reset it in the Developer Portal (Bot → Reset Token) and put it in bots[1].token",
    ]);
    expect(code).toBe(1);
    expect(lines.join("\n")).not.toContain("wrong-secret-part");
    expect(fake.rest.calls.map((call) => call.route)).toEqual(["GET /users/@me", "GET /users/@me"]);
  });

  it("fails when Discord cannot be reached, without printing the token", async () => {
    const api = fake.apiBase;
    await fake.stop();
    const { code, lines } = await doctor({ apiRoot: api, bots: [{ token: fake.token }] });

    const [line] = linesOf(lines, "discord:");
    expect(line).toMatch(new RegExp(`^fail discord: bot ${fake.bot.id}: cannot reach Discord at ${api} \\(.*\\); check apiRoot and this machine's network$`));
    expect(line).not.toContain("fake-secret-part");
    expect(code).toBe(1);
  });
});
