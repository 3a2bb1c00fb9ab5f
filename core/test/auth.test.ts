/**
 * Users and sign-in: argon2id passwords, access tokens (and every token the verifier
 * must refuse: fault case B20), rotating refresh tokens with reuse detection, the
 * sign-in rate limit, cookie sessions with their CSRF check, and operator routes.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { definePlugin } from "@arizuko/sdk";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signingKey } from "../src/auth/signing-key.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";

let instance: TestInstance;
let calls = 0;

/** An operator route that counts the calls reaching its handler. */
const probe = definePlugin({
  name: "probe",
  version: "1.0.0",
  apiVersion: 1,
  register(host) {
    host.http.register({ method: "GET", url: "/probe", auth: "operator", handler: () => ({ calls: ++calls }) });
    host.http.register({ method: "POST", url: "/probe", auth: "operator", handler: () => ({ calls: ++calls }) });
  },
});

beforeEach(async () => {
  calls = 0;
  instance = await startInstance({ config: { auth: { maxFailures: 5, failureWindowS: 900 } }, plugins: [{ definition: probe }] });
});
afterEach(async () => {
  await instance.dispose();
});

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function call(method: string, path: string, options: { body?: unknown; bearer?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(instance.url + path, {
    method,
    headers: {
      ...(options.body !== undefined && { "content-type": "application/json" }),
      ...(options.bearer !== undefined && { authorization: `Bearer ${options.bearer}` }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** Adds a user through the CLI and returns the password it generated. */
async function addUser(name: string, operator = false): Promise<string> {
  const result = await instance.kernel.runCli(["user", "add", name, ...(operator ? ["--operator"] : [])]);
  expect(result.exitCode).toBe(0);
  return /\(shown once\): (\S+)/.exec(result.stdout)![1]!;
}

async function tokens(name: string, password: string) {
  const response = await call("POST", "/auth/token", { body: { username: name, password } });
  expect(response.status).toBe(200);
  return response.body as { access_token: string; refresh_token: string };
}

const key = () => signingKey(instance.dataDir);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("users", () => {
  it("hash with argon2id at OWASP's minimum", async () => {
    await addUser("ada");
    const { password_hash: hash } = instance.kernel.store.db.prepare("SELECT password_hash FROM users").get() as { password_hash: string };
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(statSync(join(instance.dataDir, "arizuko.db")).mode & 0o777).toBe(0o600);
  });

  it("names ignore case", async () => {
    const password = await addUser("Ada");
    expect((await instance.kernel.runCli(["user", "add", "ADA"])).stderr).toContain("the username ADA is taken (by Ada; usernames ignore case)");
    expect((await call("POST", "/auth/token", { body: { username: "ada", password } })).status).toBe(200);
  });

  it("rejects a bad name", async () => {
    expect((await instance.kernel.runCli(["user", "add", "-x"])).exitCode).not.toBe(0);
    expect((await instance.kernel.runCli(["user", "add", "a b"])).stderr).toContain('invalid username "a b"');
  });
});

describe("access tokens (B20)", () => {
  it("refuse eight bad tokens; the handler never runs", async () => {
    await addUser("root", true);
    const claims = { sub: instance.kernel.auth.users.byName("root")!.id, username: "root", role: "operator", iss: "arizuko", aud: "arizuko" };
    const signed = (alg: string, extra: object = {}) => new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg, typ: "JWT" }).sign(key());
    const valid = await signed("HS256", { iat: now(), exp: now() + 3600 });
    const [header, payload] = valid.split(".");

    const bad: Array<[string, string | null]> = [
      ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, role: "admin", exp: now() + 3600 })}.`],
      ["garbage signature", `${header}.${payload}.AAAA`],
      ["x.y.", "x.y."],
      ["not a JWT", "garbage"],
      ["empty bearer", null],
      ["expired 120 s ago", await signed("HS256", { iat: now() - 1000, exp: now() - 120 })],
      ["HS512", await signed("HS512", { iat: now(), exp: now() + 3600 })],
      ["wrong audience", await signed("HS256", { iat: now(), exp: now() + 3600, aud: "another-service" })],
    ];
    for (const [name, token] of bad) {
      const response = await call("GET", "/probe", { headers: { authorization: token === null ? "Bearer " : `Bearer ${token}` } });
      expect(response.status, name).toBe(401);
      expect(response.headers.get("set-cookie"), name).toBeNull();
    }
    expect(calls).toBe(0);

    const ok = await call("GET", "/probe", { bearer: valid });
    expect(ok.status).toBe(200);
    expect(calls).toBe(1);
  });

  it("accept 30 s of clock skew, not more", async () => {
    await addUser("root", true);
    const sub = instance.kernel.auth.users.byName("root")!.id;
    const token = (exp: number) => new SignJWT({ sub, username: "root", role: "operator" }).setProtectedHeader({ alg: "HS256" }).setIssuer("arizuko").setAudience("arizuko").setIssuedAt(now() - 600).setExpirationTime(exp).sign(key());
    expect((await call("GET", "/probe", { bearer: await token(now() - 20) })).status).toBe(200);
    const late = await call("GET", "/probe", { bearer: await token(now() - 60) });
    expect(late.status).toBe(401);
    expect(late.body.error.message).toContain("the token has expired; refresh it");
  });

  it("need the operator role for operator routes", async () => {
    const password = await addUser("bob");
    const { access_token } = await tokens("bob", password);
    const response = await call("GET", "/probe", { bearer: access_token });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toBe("user bob is not an operator; an operator can give the role with `arizuko user role bob operator`");

    await instance.kernel.runCli(["user", "role", "bob", "operator"]);
    expect((await call("GET", "/probe", { bearer: access_token })).status).toBe(200);
    expect((await call("GET", "/auth/me", { bearer: access_token })).body).toEqual({ user: { id: expect.stringMatching(/^usr_/), username: "bob", role: "operator" } });
  });

  it("stop working when the user is removed", async () => {
    const password = await addUser("gone", true);
    const { access_token } = await tokens("gone", password);
    await instance.kernel.runCli(["user", "rm", "gone"]);
    expect((await call("GET", "/probe", { bearer: access_token })).status).toBe(401);
  });

  it("keep the admin token working", async () => {
    const admin = readFileSync(join(instance.dataDir, "admin.token"), "utf8").trim();
    expect((await call("GET", "/probe", { bearer: admin })).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  it("rotate; a reused one revokes the sign-in", async () => {
    const password = await addUser("ada");
    const first = await tokens("ada", password);

    const second = await call("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.user.username).toBe("ada");

    // A second tab refreshing at the same moment is refused without revoking anything.
    const tab = await call("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } });
    expect(tab.status).toBe(401);
    expect(tab.body.error.message).toBe("this refresh token was used a moment ago (another tab?); retry with the new one");

    // Past the grace window, the same replay means a copy.
    instance.kernel.store.db.prepare("UPDATE refresh_tokens SET used_at = used_at - 11000 WHERE used_at IS NOT NULL").run();
    const replay = await call("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toContain("already used, so every session of its sign-in is revoked");
    expect((await call("POST", "/auth/refresh", { body: { refresh_token: second.body.refresh_token } })).status).toBe(401);

    const digests = instance.kernel.store.db.prepare("SELECT digest FROM refresh_tokens").all() as Array<{ digest: string }>;
    expect(digests.some((row) => row.digest.includes(first.refresh_token) || first.refresh_token.includes(row.digest))).toBe(false);
  });

  it("end with logout", async () => {
    const password = await addUser("ada");
    const { refresh_token } = await tokens("ada", password);
    expect((await call("POST", "/auth/logout", { body: { refresh_token } })).status).toBe(204);
    const after = await call("POST", "/auth/refresh", { body: { refresh_token } });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toBe("this sign-in has ended (signed out, or revoked); sign in again");
  });

  it("end with a new password", async () => {
    const password = await addUser("ada");
    const { refresh_token } = await tokens("ada", password);
    expect((await instance.kernel.runCli(["user", "passwd", "ada"])).stdout).toContain("their sign-ins have ended");
    expect((await call("POST", "/auth/refresh", { body: { refresh_token } })).status).toBe(401);
  });
});

describe("sign-in", () => {
  it("rate limit per account", async () => {
    const password = await addUser("ada");
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const wrong = await call("POST", "/auth/token", { body: { username: "ada", password: "not it" } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toEqual({ code: "ARZ_ERR_SIGN_IN_FAILED", message: "wrong username or password" });
    }
    const limited = await call("POST", "/auth/token", { body: { username: "ADA", password } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(890);
    expect(limited.body.error.message).toMatch(/^too many failed sign-ins from this address or for this account; try again in \d+ s$/);
  });

  it("same answer for unknown users", async () => {
    const unknown = await call("POST", "/auth/token", { body: { username: "nobody", password: "whatever" } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe("wrong username or password");
  });

  it("rejects a malformed body", async () => {
    const response = await call("POST", "/auth/token", { body: { username: "ada" } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("password");
  });
});

describe("cookie sessions", () => {
  async function browserSignIn(name: string, password: string) {
    const origin = instance.url;
    const response = await call("POST", "/auth/login", { body: { username: name, password }, headers: { origin } });
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie().map((header) => header.split(";")[0]!).join("; ");
    return { cookies, csrf: response.body.csrf_token as string, setCookie: response.headers.getSetCookie(), origin };
  }

  it("set httpOnly, SameSite=Lax cookies", async () => {
    const session = await browserSignIn("root", await addUser("root", true));
    const access = session.setCookie.find((header) => header.startsWith("arizuko_access="))!;
    expect(access).toMatch(/HttpOnly/);
    expect(access).toMatch(/SameSite=Lax/);
    expect(session.setCookie.find((header) => header.startsWith("arizuko_refresh="))).toMatch(/Path=\/auth; HttpOnly/);
    expect(session.setCookie.find((header) => header.startsWith("arizuko_csrf="))).not.toMatch(/HttpOnly/);
    expect((await call("GET", "/probe", { headers: { cookie: session.cookies } })).status).toBe(200);
  });

  it("need the CSRF token and this origin to change state", async () => {
    const session = await browserSignIn("root", await addUser("root", true));
    const post = (headers: Record<string, string>) => call("POST", "/probe", { body: {}, headers: { cookie: session.cookies, ...headers } });

    const noToken = await post({ origin: session.origin });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.message).toContain("missing or wrong x-csrf-token header");
    const evil = await post({ origin: "https://evil.example", "x-csrf-token": session.csrf });
    expect(evil.status).toBe(403);
    expect(evil.body.error).toEqual({ code: "ARZ_ERR_CSRF", message: `cross-site request from https://evil.example refused; this server is ${instance.url}` });
    expect(calls).toBe(0);
    expect((await post({ origin: session.origin, "x-csrf-token": session.csrf })).status).toBe(200);
    expect(calls).toBe(1);
  });

  it("refuse a sign-in posted from another site", async () => {
    const password = await addUser("ada");
    const response = await call("POST", "/auth/login", { body: { username: "ada", password }, headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("refresh with the cookie and CSRF token", async () => {
    const session = await browserSignIn("ada", await addUser("ada"));
    expect((await call("POST", "/auth/refresh", { body: {}, headers: { cookie: session.cookies, origin: session.origin } })).status).toBe(403);
    // A browser's fetch sends no body at all.
    const refreshed = await call("POST", "/auth/refresh", { headers: { cookie: session.cookies, origin: session.origin, "x-csrf-token": session.csrf } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.username).toBe("ada");
    expect(refreshed.headers.getSetCookie().some((header) => header.startsWith("arizuko_refresh="))).toBe(true);
  });
});

describe("invitations", () => {
  async function invite(operator = false): Promise<string> {
    const result = await instance.kernel.runCli(["user", "invite", ...(operator ? ["--operator"] : [])]);
    expect(result.exitCode).toBe(0);
    return /(\/auth\/invitations\/inv_\S+)/.exec(result.stdout)![1]!;
  }

  it("create an account once", async () => {
    const path = await invite(true);
    expect((await call("GET", path)).body).toMatchObject({ role: "operator" });
    const created = await call("POST", path, { body: { username: "carol", password: "a long enough passphrase" } });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ username: "carol", role: "operator" });
    expect((await tokens("carol", "a long enough passphrase")).access_token).toBeTruthy();

    const again = await call("POST", path, { body: { username: "dave", password: "another long passphrase" } });
    expect(again.status).toBe(410);
    expect(again.body.error.message).toBe("this invitation was already used; ask an operator for a new one");
  });

  it("refuse bad choices and keep the invitation", async () => {
    await addUser("ada");
    const path = await invite();
    expect((await call("POST", path, { body: { username: "ADA", password: "a long enough passphrase" } })).status).toBe(409);
    const short = await call("POST", path, { body: { username: "erin", password: "short" } });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toBe("choose a password of at least 12 characters");
    expect((await call("POST", path, { body: { username: "erin", password: "a long enough passphrase" } })).status).toBe(201);
  });

  it("refuse unknown and expired ones", async () => {
    expect((await call("GET", "/auth/invitations/inv_nothing")).status).toBe(404);
    const path = await invite();
    instance.kernel.store.db.prepare("UPDATE invitations SET expires_at = ?").run(Date.now() - 1);
    const expired = await call("POST", path, { body: { username: "frank", password: "a long enough passphrase" } });
    expect(expired.status).toBe(410);
    expect(expired.body.error.message).toBe("this invitation has expired; ask an operator for a new one");
  });
});

describe("behind a reverse proxy", () => {
  it("limit and secure by forwarded headers", async () => {
    await instance.dispose();
    instance = await startInstance({ config: { http: { trustProxy: "127.0.0.1" } }, plugins: [{ definition: probe }] });
    const password = await addUser("ada");
    const from = (address: string, body: object) => call("POST", "/auth/token", { body, headers: { "x-forwarded-for": address } });

    for (let attempt = 0; attempt < 5; attempt += 1) await from("203.0.113.7", { username: "nobody", password: "x" });
    expect((await from("203.0.113.7", { username: "ada", password })).status).toBe(429);
    expect((await from("203.0.113.8", { username: "ada", password })).status).toBe(200);

    const login = await call("POST", "/auth/login", { body: { username: "ada", password }, headers: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" } });
    expect(login.headers.getSetCookie().every((header) => /; Secure/.test(header))).toBe(true);
  });
});
