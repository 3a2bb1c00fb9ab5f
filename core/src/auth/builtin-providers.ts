/**
 * The sign-in providers arizuko ships: GitHub, Google and Discord (OAuth 2 with PKCE)
 * and the Telegram login widget. Each is offered only when its credentials are set in
 * `auth.providers`; the endpoint URLs can be pointed elsewhere (a test's fake).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ArizukoError, type AuthProviderSpec, type ProviderIdentity } from "@arizuko/sdk";

export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  /** The endpoint that returns the profile of the token's owner. */
  userUrl: string;
}

export interface TelegramProviderConfig {
  /** The token of the bot the login widget names; it signs the widget's data. */
  botToken: string;
}

export interface ProvidersConfig {
  github: OAuthProviderConfig;
  google: OAuthProviderConfig;
  discord: OAuthProviderConfig;
  telegram: TelegramProviderConfig;
}

/** Widget data older than this is refused, so a leaked login link stops working soon. */
export const TELEGRAM_MAX_AGE_S = 300;
const CLOCK_SKEW_S = 30;

async function userInfo(url: string, accessToken: string, title: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "arizuko" } });
  if (!response.ok) throw new Error(`${title} responded ${response.status} to the request for the user's profile`);
  return (await response.json()) as Record<string, unknown>;
}

function oauthProvider(id: string, title: string, config: OAuthProviderConfig, scopes: string[], read: (profile: Record<string, unknown>) => ProviderIdentity): AuthProviderSpec {
  return {
    id,
    title,
    oauth: {
      authorizationUrl: config.authorizationUrl,
      tokenUrl: config.tokenUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      scopes,
      identify: async (accessToken) => {
        const identity = read(await userInfo(config.userUrl, accessToken, title));
        if (!identity.subject) throw new Error(`${title}'s profile has no account id`);
        return identity;
      },
    },
  };
}

const text = (value: unknown) => (typeof value === "string" || typeof value === "number" ? String(value) : "");

/** Checks the Telegram login widget's data: its hash under the bot token, and its age. */
export function verifyTelegramLogin(botToken: string, query: Record<string, string>, nowS = Math.floor(Date.now() / 1000)): ProviderIdentity {
  const rejected = (reason: string) => new ArizukoError("ARZ_ERR_SIGN_IN_FAILED", `Telegram sign-in refused: ${reason}`, { statusCode: 401 });
  const { hash, ...fields } = query;
  if (!hash || !fields.id || !fields.auth_date) throw rejected("the widget's data lacks id, auth_date or hash");

  // Telegram's check string: every field but hash, sorted by name, as key=value lines.
  const check = Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join("\n");
  const secret = createHash("sha256").update(botToken).digest();
  const expected = createHmac("sha256", secret).update(check).digest();
  const presented = Buffer.from(hash, "hex");
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw rejected("the data's hash does not match the bot token");

  const age = nowS - Number(fields.auth_date);
  if (!Number.isFinite(age) || age > TELEGRAM_MAX_AGE_S || age < -CLOCK_SKEW_S) throw rejected(`the login is ${age} s old; sign in again (at most ${TELEGRAM_MAX_AGE_S} s)`);
  return { subject: fields.id, name: fields.username ?? fields.first_name ?? fields.id };
}

/** Returns what is wrong with the providers' settings: a client id without its secret, or the reverse. */
export function providerProblems(config: ProvidersConfig): string[] {
  return (["github", "google", "discord"] as const).flatMap((id) => {
    const { clientId, clientSecret } = config[id];
    if ((clientId === "") === (clientSecret === "")) return [];
    const missing = clientId === "" ? "clientId" : "clientSecret";
    return [`auth.providers.${id}.${missing} is empty while the other credential is set; set both to offer ${id} sign-in, or neither`];
  });
}

/** Returns the configured built-in providers: those whose credentials are set. */
export function builtinProviders(config: ProvidersConfig): AuthProviderSpec[] {
  const providers: AuthProviderSpec[] = [];
  const set = (entry: OAuthProviderConfig) => entry.clientId !== "" && entry.clientSecret !== "";

  if (set(config.github)) providers.push(oauthProvider("github", "GitHub", config.github, ["read:user"], (profile) => ({ subject: text(profile.id), name: text(profile.login) })));
  if (set(config.google)) providers.push(oauthProvider("google", "Google", config.google, ["profile"], (profile) => ({ subject: text(profile.sub), name: text(profile.name) })));
  if (set(config.discord)) providers.push(oauthProvider("discord", "Discord", config.discord, ["identify"], (profile) => ({ subject: text(profile.id), name: text(profile.username) })));
  if (config.telegram.botToken !== "") {
    const token = config.telegram.botToken;
    providers.push({ id: "telegram", title: "Telegram", verify: (query) => verifyTelegramLogin(token, query) });
  }
  return providers;
}
