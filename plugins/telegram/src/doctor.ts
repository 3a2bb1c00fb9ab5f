/**
 * `arizuko doctor` for Telegram: each bot's token is tried with getMe, which sends
 * nothing to any chat. For a webhook bot it also reports Telegram's last delivery error.
 */
import type { DoctorContext, DoctorFinding } from "@arizuko/sdk";
import { Api, GrammyError } from "grammy";
import { botIdOf, unreachable } from "./bot.js";
import type { TelegramConfig } from "./index.js";

/** grammY types its signal with an older AbortSignal polyfill; the runtime one is what it uses. */
type GrammySignal = Parameters<Api["getMe"]>[0];

export async function checkBots(config: TelegramConfig, context: DoctorContext): Promise<DoctorFinding[]> {
  const apiRoot = config.apiRoot.replace(/\/+$/, "");
  const findings: DoctorFinding[] = [];
  for (const [index, bot] of config.bots.entries()) {
    const check = `bot ${botIdOf(bot.token)}`;
    const api = new Api(bot.token, { apiRoot });
    try {
      const me = await api.getMe(context.signal as GrammySignal);
      findings.push({ check, level: "ok", detail: `the token works: @${me.username} (${bot.mode})` });
      if (bot.mode === "webhook") findings.push(await webhookState(api, check, context.signal));
    } catch (error) {
      if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
        findings.push({ check, level: "fail", detail: `Telegram rejected the token (${error.error_code} ${error.description}); put the token @BotFather gave in bots[${index}].token` });
      } else if (error instanceof GrammyError) {
        findings.push({ check, level: "warn", detail: `getMe answered ${error.error_code} ${error.description}; try again later` });
      } else {
        findings.push({ check, level: "fail", detail: `cannot reach the Bot API at ${apiRoot} (${unreachable(error, bot.token)}); check apiRoot and this machine's network` });
      }
    }
  }
  return findings;
}

async function webhookState(api: Api, check: string, signal: AbortSignal): Promise<DoctorFinding> {
  const info = await api.getWebhookInfo(signal as GrammySignal);
  if (!info.url) return { check: `${check} webhook`, level: "warn", detail: "no webhook is set yet; arizuko sets it at start (webhookUrl)" };
  if (!info.last_error_message) return { check: `${check} webhook`, level: "ok", detail: `${info.url}, ${info.pending_update_count} updates pending` };
  const when = new Date((info.last_error_date ?? 0) * 1000).toISOString();
  return { check: `${check} webhook`, level: "warn", detail: `Telegram's last delivery to ${info.url} failed at ${when}: ${info.last_error_message}; check that the URL reaches arizuko over HTTPS` };
}
