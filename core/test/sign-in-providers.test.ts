/**
 * Sign-in through providers: an OAuth provider (a fake GitHub on 127.0.0.1) with PKCE
 * and a state bound to the browser, the Telegram login widget's hash and age, linking
 * an identity to the signed-in user, and `onAuthenticate` denying a sign-in.
 */
import { createHash, createHmac } from "node:crypto";
import { definePlugin } from "@arizuko/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { safeNext } from "../src/auth/provider-routes.js";
import { FakeOAuth } from "./helpers/fake-oauth.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";

const BOT_TOKEN = "600000001:widget-bot-token-0123456789";

let instance: TestInstance;
let github: FakeOAuth;

/** Denies every sign-in of the user "mallory". */
const gatekeeper = definePlugin({
  name: "gatekeeper",
  version: "1.0.0",
  apiVersion: 1,
  register(host) {
    host.hooks.onAuthenticate.tap(({ user }) => (user === "mallory" ? { deny: "mallory is suspended" } : undefined));
  },
});

beforeEach(async () => {
  github = new FakeOAuth();
  await github.start();
  instance = await startInstance({
    config: { auth: { providers: { github: github.config, telegram: { botToken: BOT_TOKEN } } } },
    plugins: [{ definition: gatekeeper }],
  });
});
afterEach(async () => {
  await instance.dispose();
  await github.stop();
});

/** A browser: follows redirects itself and keeps arizuko's cookies. */
class Browser {
  private readonly jar = new Map<string, string>();

  async get(url: string): Promise<{ status: number; location: string | null; body: any }> {
    const response = await fetch(url, { redirect: "manual", headers: url.startsWith(instance.url) && this.jar.size > 0 ? { cookie: this.cookie } : {} });
    if (url.startsWith(instance.url)) {
      for (const header of response.headers.getSetCookie()) {
        const [pair, ...attributes] = header.split(";");
        const [name, value] = pair!.split("=") as [string, string];
        if (value === "" || attributes.some((attribute) => /max-age=0/i.test(attribute))) this.jar.delete(name);
        else this.jar.set(name, value);
      }
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // a redirect or an HTML page
    }
    return { status: response.status, location: response.headers.get("location"), body };
  }

  /** Follows redirects from `url` until a page that is not one; returns it and the last location. */
  async visit(url: string): Promise<{ status: number; body: any; landed: string }> {
    let current = url;
    for (let hop = 0; hop < 10; hop += 1) {
      const page = await this.get(current);
      if (page.status < 300 || page.status >= 400) return { status: page.status, body: page.body, landed: current };
      current = new URL(page.location!, current).href;
    }
    throw new Error("too many redirects");
  }

  get cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  has(name: string): boolean {
    return this.jar.has(name);
  }

  async passwordSignIn(username: string, password: string): Promise<void> {
    const response = await fetch(`${instance.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json", origin: instance.url }, body: JSON.stringify({ username, password }) });
    expect(response.status).toBe(200);
    for (const header of response.headers.getSetCookie()) {
      const [name, value] = header.split(";")[0]!.split("=") as [string, string];
      this.jar.set(name, value);
    }
  }
}

async function addUser(name: string): Promise<string> {
  const result = await instance.kernel.runCli(["user", "add", name]);
  return /\(shown once\): (\S+)/.exec(result.stdout)![1]!;
}

async function me(browser: Browser) {
  return (await browser.get(`${instance.url}/auth/me`)).body;
}

describe("OAuth providers", () => {
  it("list only configured ones", async () => {
    const browser = new Browser();
    expect((await browser.get(`${instance.url}/auth/providers`)).body).toEqual({
      providers: [
        { id: "github", title: "GitHub", start: "/auth/providers/github/start" },
        { id: "telegram", title: "Telegram", start: null },
      ],
    });
  });

  it("link to the signed-in user, then sign in", async () => {
    const password = await addUser("ada");
    const linking = new Browser();
    await linking.passwordSignIn("ada", password);
    const linked = await linking.visit(`${instance.url}/auth/providers/github/start?next=/chat`);
    expect(linked.landed).toBe(`${instance.url}/chat`);
    expect(instance.kernel.store.db.prepare("SELECT provider, subject, name FROM user_identities").all()).toEqual([{ provider: "github", subject: "4242", name: "ada-gh" }]);

    const fresh = new Browser();
    const signedIn = await fresh.visit(`${instance.url}/auth/providers/github/start?next=/chat`);
    expect(signedIn.landed).toBe(`${instance.url}/chat`);
    expect(fresh.has("arizuko_access")).toBe(true);
    expect((await me(fresh)).user).toMatchObject({ username: "ada", role: "user" });
  });

  it("send PKCE S256 and the verifier", async () => {
    const browser = new Browser();
    await browser.visit(`${instance.url}/auth/providers/github/start`);
    const [authorize] = github.authorizeRequests;
    expect(authorize).toMatchObject({ client_id: github.clientId, response_type: "code", code_challenge_method: "S256", scope: "read:user" });
    expect(authorize!.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [token] = github.tokenRequests;
    expect(createHash("sha256").update(token!.code_verifier!).digest("base64url")).toBe(authorize!.code_challenge);
    expect(token!.client_secret).toBe(github.clientSecret);
  });

  it("refuse an identity nobody linked", async () => {
    const result = await new Browser().visit(`${instance.url}/auth/providers/github/start`);
    expect(result.status).toBe(403);
    expect(result.body.error.message).toBe("no user is linked to this GitHub account; sign in with your password first, then sign in with GitHub to link it");
  });

  it("refuse a state from another browser", async () => {
    const starter = new Browser();
    const start = await starter.get(`${instance.url}/auth/providers/github/start`);
    const approved = await fetch(start.location!, { redirect: "manual" });
    const callback = approved.headers.get("location")!;

    const other = new Browser();
    const stolen = await other.get(callback);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.message).toContain("the sign-in's state does not match one this browser started");
    expect(github.tokenRequests).toHaveLength(0);

    const tampered = await starter.get(callback.replace(/state=[^&]+/, "state=forged"));
    expect(tampered.status).toBe(400);
  });

  it("refuse to link an identity of another user", async () => {
    const adaPassword = await addUser("ada");
    const bobPassword = await addUser("bob");
    const ada = new Browser();
    await ada.passwordSignIn("ada", adaPassword);
    await ada.visit(`${instance.url}/auth/providers/github/start`);

    const bob = new Browser();
    await bob.passwordSignIn("bob", bobPassword);
    const taken = await bob.visit(`${instance.url}/auth/providers/github/start`);
    expect(taken.status).toBe(409);
  });

  it("keep next on this site", async () => {
    const password = await addUser("ada");
    const browser = new Browser();
    await browser.passwordSignIn("ada", password);
    const result = await browser.visit(`${instance.url}/auth/providers/github/start?next=//evil.example/x`);
    expect(result.landed).toBe(`${instance.url}/`);
  });
});

describe("Telegram login widget", () => {
  /** Starts a widget sign-in in `browser` and returns the callback the widget would call with `fields`. */
  const widget = async (browser: Browser, fields: Record<string, string>, token = BOT_TOKEN) => {
    const started = await browser.get(`${instance.url}/auth/providers/telegram/start?next=/chat`);
    const check = Object.keys(fields)
      .sort()
      .map((key) => `${key}=${fields[key]}`)
      .join("\n");
    const hash = createHmac("sha256", createHash("sha256").update(token).digest()).update(check).digest("hex");
    return `${instance.url}${started.body.callback}&${new URLSearchParams({ ...fields, hash })}`;
  };
  const now = () => String(Math.floor(Date.now() / 1000));

  it("link, sign in, refuse bad hash and age", async () => {
    const password = await addUser("ada");
    const linking = new Browser();
    await linking.passwordSignIn("ada", password);
    expect((await linking.visit(await widget(linking, { id: "111", first_name: "Ada", username: "ada_tg", auth_date: now() }))).landed).toBe(`${instance.url}/chat`);
    expect(instance.kernel.auth.identities.find("telegram", "111")).toMatchObject({ name: "ada_tg" });
    expect((await instance.kernel.runCli(["user", "identities", "ada"])).stdout).toMatch(/telegram\s+111\s+ada_tg/);

    const fresh = new Browser();
    await fresh.visit(await widget(fresh, { id: "111", first_name: "Ada", auth_date: now() }));
    expect((await me(fresh)).user.username).toBe("ada");

    const forger = new Browser();
    const forged = await forger.get(await widget(forger, { id: "111", auth_date: now() }, "600000001:another-bot-token"));
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toBe("Telegram sign-in refused: the data's hash does not match the bot token");
    const late = new Browser();
    const old = await late.get(await widget(late, { id: "111", auth_date: String(Math.floor(Date.now() / 1000) - 600) }));
    expect(old.status).toBe(401);
    expect(old.body.error.message).toMatch(/^Telegram sign-in refused: the login is 60\d s old; sign in again \(at most 300 s\)$/);
  });

  it("refuse data the browser did not ask for", async () => {
    const password = await addUser("ada");
    const attacker = new Browser();
    const link = await widget(attacker, { id: "666", first_name: "Eve", auth_date: now() });

    // The victim, signed in, is made to open the attacker's callback.
    const victim = new Browser();
    await victim.passwordSignIn("ada", password);
    const forced = await victim.get(link);
    expect(forced.status).toBe(400);
    expect(forced.body.error.message).toContain("the sign-in's state does not match one this browser started");
    expect(instance.kernel.auth.identities.find("telegram", "666")).toBeNull();
  });

  it("unlink through the CLI", async () => {
    await addUser("ada");
    instance.kernel.auth.identities.link("telegram", "111", instance.kernel.auth.users.byName("ada")!.id, "ada_tg");
    expect((await instance.kernel.runCli(["user", "unlink", "ada", "telegram"])).stdout).toBe("ada's telegram account is unlinked\n");
    expect(instance.kernel.auth.identities.find("telegram", "111")).toBeNull();
  });
});

describe("settings", () => {
  it("refuse a client id without its secret", async () => {
    await expect(startInstance({ config: { auth: { providers: { google: { clientId: "only-the-id" } } } } })).rejects.toThrow(
      "auth.providers.google.clientSecret is empty while the other credential is set; set both to offer google sign-in, or neither",
    );
  });

  it.each([
    ["/chat", "/chat"],
    ["//evil.example", "/"],
    ["/\t/evil.example", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
    ["/a/b?c=d", "/a/b?c=d"],
  ])("next %j becomes %j", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});

describe("onAuthenticate", () => {
  it("denies after the password matched", async () => {
    const password = await addUser("mallory");
    const response = await fetch(`${instance.url}/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "mallory", password }) });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe("sign-in denied: mallory is suspended");
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM refresh_tokens").get()).toEqual({ n: 0 });
  });
});
