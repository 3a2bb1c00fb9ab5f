/** Users of a test instance: accounts made with the CLI, signed in as a browser would be. */
import { expect } from "vitest";
import { Client, type JsonResponse } from "../../../../core/test/helpers/client.js";
import type { TestInstance } from "../../../../core/test/helpers/instance.js";

/** A browser page of the instance: its writes send the page's Origin, as browsers do. */
export class PageClient extends Client {
  protected writeHeaders(): Record<string, string> {
    return { origin: this.base };
  }

  override request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const writes = method !== "GET" && method !== "HEAD";
    return super.request<T>(method, path, body, { ...(writes && this.writeHeaders()), ...headers });
  }
}

/** A browser signed in with the session cookies; its writes also send the CSRF token. */
export class Person extends PageClient {
  csrf = "";

  constructor(
    base: string,
    readonly username: string,
    readonly password: string,
  ) {
    super(base);
  }

  protected override writeHeaders(): Record<string, string> {
    return { origin: this.base, "x-csrf-token": this.csrf };
  }

  async signIn(): Promise<void> {
    const response = await super.request("POST", "/auth/login", { username: this.username, password: this.password }, { origin: this.base });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    this.csrf = response.body.csrf_token;
  }
}

/** Adds a user with the CLI and returns the generated password. */
export async function addUser(instance: TestInstance, name: string, operator = false): Promise<string> {
  const result = await instance.kernel.runCli(["user", "add", name, ...(operator ? ["--operator"] : [])]);
  expect(result.exitCode, result.stderr).toBe(0);
  return /\(shown once\): (\S+)/.exec(result.stdout)![1]!;
}

/** Adds a user, links them to `groups` and signs them in. */
export async function person(instance: TestInstance, name: string, options: { groups?: string[]; operator?: boolean } = {}): Promise<Person> {
  const password = await addUser(instance, name, options.operator);
  for (const group of options.groups ?? []) {
    const result = await instance.kernel.runCli(["user", "join", name, group]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  const signedIn = new Person(instance.url, name, password);
  await signedIn.signIn();
  return signedIn;
}

/** Opens a share link as a browser does: keeps the visitor cookie of the redirect, returns where it leads. */
export async function openShare(client: Client, path: string): Promise<{ status: number; location: string | null; body: string }> {
  const response = await fetch(client.base + path, { redirect: "manual", headers: client.cookieHeader ? { cookie: client.cookieHeader } : {} });
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(";");
    const [name, ...value] = pair!.split("=");
    client.setCookie(name!.trim(), value.join("="));
  }
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}
