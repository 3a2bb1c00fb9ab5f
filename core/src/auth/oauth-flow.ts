/**
 * The OAuth 2 authorization-code flow with PKCE (S256), on oauth4webapi. `start`
 * makes the state and code verifier and binds them to the browser with a random nonce
 * kept in an httpOnly cookie; `finish` checks the callback's state against that
 * browser's pending sign-in, trades the code (with the verifier) for an access token,
 * and requests the profile of who signed in.
 */
import { randomBytes } from "node:crypto";
import type { OAuthProviderSpec, ProviderIdentity } from "@arizuko/sdk";
import * as oauth from "oauth4webapi";
import { isLoopback } from "../http/server.js";

/** How long a started sign-in may take before its state is forgotten. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Most sign-ins pending at once; the oldest go first, so a flood of starts cannot grow memory without bound. */
// TODO: limit starts per client address, so that a flood cannot push out sign-ins in progress either.
const MAX_PENDING = 10_000;

interface Pending {
  provider: string;
  verifier: string;
  /** The nonce in the browser's cookie: the state is only good in the browser that started it. */
  browser: string;
  redirectUri: string;
  next: string;
  at: number;
}

export class OAuthFailure extends Error {}

/** http:// endpoints are allowed only on loopback addresses (local fakes and proxies). */
function insecureAllowed(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === "http:" && isLoopback(parsed.hostname);
}

function serverOf(spec: OAuthProviderSpec): oauth.AuthorizationServer {
  return { issuer: new URL(spec.authorizationUrl).origin, authorization_endpoint: spec.authorizationUrl, token_endpoint: spec.tokenUrl };
}

export class OAuthFlows {
  private readonly pending = new Map<string, Pending>();

  /** Returns the provider URL to send the browser to, and the nonce to put in its cookie. */
  async start(provider: string, spec: OAuthProviderSpec, redirectUri: string, next: string): Promise<{ url: string; browser: string }> {
    this.forgetOld();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const browser = randomBytes(24).toString("base64url");
    this.pending.set(state, { provider, verifier, browser, redirectUri, next, at: Date.now() });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);

    const url = new URL(spec.authorizationUrl);
    url.searchParams.set("client_id", spec.clientId);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", spec.scopes.join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    return { url: url.href, browser };
  }

  /**
   * Starts a sign-in whose provider calls back with signed data of its own (the Telegram
   * widget): returns the state to add to the widget's callback URL, and the browser nonce.
   */
  startSigned(provider: string, next: string): { state: string; browser: string } {
    this.forgetOld();
    const state = oauth.generateRandomState();
    const browser = randomBytes(24).toString("base64url");
    this.pending.set(state, { provider, verifier: "", browser, redirectUri: "", next, at: Date.now() });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    return { state, browser };
  }

  /** Takes the pending sign-in of `state` if this browser started it for `provider`; throws `OAuthFailure` otherwise. */
  take(provider: string, state: string, browser: string | undefined): Pending {
    const pending = this.pending.get(state);
    if (!pending || pending.provider !== provider || !browser || pending.browser !== browser || Date.now() - pending.at > PENDING_TTL_MS) {
      throw new OAuthFailure("the sign-in's state does not match one this browser started (or it is older than 10 minutes); start the sign-in again");
    }
    this.pending.delete(state);
    return pending;
  }

  /** Completes a sign-in from the callback URL; throws `OAuthFailure` with what went wrong. */
  async finish(provider: string, spec: OAuthProviderSpec, callback: URL, browser: string | undefined): Promise<{ identity: ProviderIdentity; next: string }> {
    const state = callback.searchParams.get("state") ?? "";
    const pending = this.take(provider, state, browser);

    const server = serverOf(spec);
    const client: oauth.Client = { client_id: spec.clientId };
    const options = { [oauth.allowInsecureRequests]: insecureAllowed(spec.tokenUrl) };
    try {
      const parameters = oauth.validateAuthResponse(server, client, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.ClientSecretPost(spec.clientSecret), parameters, pending.redirectUri, pending.verifier, options);
      const tokens = await oauth.processAuthorizationCodeResponse(server, client, response);
      return { identity: await spec.identify(tokens.access_token), next: pending.next };
    } catch (error) {
      throw new OAuthFailure(`the provider did not complete the sign-in: ${(error as Error).message}`);
    }
  }

  private forgetOld(): void {
    const cutoff = Date.now() - PENDING_TTL_MS;
    for (const [state, pending] of this.pending) {
      if (pending.at >= cutoff) break;
      this.pending.delete(state);
    }
  }
}
