/** The chat page at `/` and its two assets. Running the page in a browser is tested elsewhere. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";

let instance: TestInstance;

beforeAll(async () => {
  instance = await startInstance();
});

afterAll(() => instance.dispose());

/** Returns the `arizuko_visitor` Set-Cookie header of a response, or undefined. */
function visitorCookie(response: Response): string | undefined {
  return response.headers.getSetCookie().find((header) => header.startsWith("arizuko_visitor="));
}

describe("chat page", () => {
  it("serves HTML with a CSP", async () => {
    const response = await fetch(`${instance.url}/`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('src="/web/chat.js"');
    expect(html).toContain('href="/web/chat.css"');
  });

  it("sets an HttpOnly SameSite=Lax visitor cookie", async () => {
    const response = await fetch(`${instance.url}/`);
    const cookie = visitorCookie(response);
    const attributes = cookie!.split(";").map((part) => part.trim().toLowerCase());

    expect(cookie).toMatch(/^arizuko_visitor=v_[A-Za-z0-9_-]{16,64};/);
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("samesite=lax");
    expect(attributes).toContain("path=/");
  });

  it("keeps an existing visitor cookie", async () => {
    const first = await fetch(`${instance.url}/`);
    const pair = visitorCookie(first)!.split(";")[0]!;

    const second = await fetch(`${instance.url}/`, { headers: { cookie: pair } });

    expect(second.status).toBe(200);
    expect(visitorCookie(second)).toBeUndefined();
  });

  it("gives each new browser its own cookie", async () => {
    const firstCookie = visitorCookie(await fetch(`${instance.url}/`))!.split(";")[0];
    const secondCookie = visitorCookie(await fetch(`${instance.url}/`))!.split(";")[0];

    expect(firstCookie).not.toBe(secondCookie);
  });

  it.each([
    ["/web/chat.js", "text/javascript; charset=utf-8"],
    ["/web/chat.css", "text/css; charset=utf-8"],
  ])("serves %s with its content type", async (path, type) => {
    const response = await fetch(instance.url + path);
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(body.length).toBeGreaterThan(0);
  });
});
