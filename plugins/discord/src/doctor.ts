/**
 * `arizuko doctor` for Discord: each bot's token is tried on the REST API with
 * GET /users/@me, which neither connects to the gateway nor posts to any channel.
 */
import type { DoctorContext, DoctorFinding } from "@arizuko/sdk";
import { DiscordAPIError, REST, Routes, type APIUser } from "discord.js";
import { botIdOf } from "./bot.js";
import type { DiscordConfig } from "./index.js";

export async function checkBots(config: DiscordConfig, context: DoctorContext): Promise<DoctorFinding[]> {
  const apiRoot = config.apiRoot.replace(/\/+$/, "");
  const findings: DoctorFinding[] = [];
  for (const [index, bot] of config.bots.entries()) {
    const check = `bot ${botIdOf(bot.token)}`;
    const rest = new REST({ api: apiRoot, retries: 0, timeout: 10_000 }).setToken(bot.token);
    try {
      const me = (await rest.get(Routes.user(), { signal: context.signal })) as APIUser;
      findings.push({ check, level: "ok", detail: `the token works: ${me.username} (${me.id})` });
    } catch (error) {
      findings.push(failure(error, check, index, apiRoot, bot.token));
    }
  }
  return findings;
}

function failure(error: unknown, check: string, index: number, apiRoot: string, token: string): DoctorFinding {
  if (error instanceof DiscordAPIError && error.status === 401) {
    return { check, level: "fail", detail: `Discord rejected the token (401 ${error.message}); reset it in the Developer Portal (Bot → Reset Token) and put it in bots[${index}].token` };
  }
  if (error instanceof DiscordAPIError) return { check, level: "warn", detail: `GET /users/@me failed with ${error.status} ${error.message}; try again later` };
  const message = (error instanceof Error ? error.message : String(error)).replaceAll(token, "<token>");
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return { check, level: "fail", detail: `cannot reach Discord at ${apiRoot} (${[message, cause].filter(Boolean).join(", ")}); check apiRoot and this machine's network` };
}
