/**
 * Input checks of `POST /web/chats/{chat}/messages`. Every bad request gets a JSON
 * error `{ error: { code, message } }` that names what was wrong, and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../../core/test/helpers/client.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { countRows } from "./helpers/chat.js";

interface ErrorBody {
  error: { code: string; message: string };
}

interface BadPost {
  name: string;
  /** Chat segment of the URL, already percent-encoded. */
  chat?: string;
  /** A JSON value, or a string sent as the raw body. */
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Text the error message must contain, such as the field name. */
  mentions: string | RegExp;
}

const JSON_ERRORS: BadPost[] = [
  { name: "missing text", body: {}, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "text" },
  { name: "text not a string", body: { text: 5 }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "text" },
  { name: "text null", body: { text: null }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "text" },
  { name: "empty text", body: { text: "" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "text" },
  { name: "text over 100000 characters", body: { text: "x".repeat(100_001) }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "text" },
  { name: "unknown extra field", body: { text: "hi", colour: "red" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: 'unknown field "colour"' },
  { name: "sender field", body: { text: "hi", sender: "web:someone-else" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: 'unknown field "sender"' },
  { name: "id with spaces", body: { text: "hi", id: "my id" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "id" },
  { name: "id over 128 characters", body: { text: "hi", id: "a".repeat(129) }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "id" },
  { name: "sender_name not a string", body: { text: "hi", sender_name: 7 }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "sender_name" },
  { name: "topic not a string", body: { text: "hi", topic: ["a"] }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "topic" },
  { name: "empty reply_to", body: { text: "hi", reply_to: "" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "reply_to" },
  { name: "attachment not a file id", body: { text: "hi", attachments: [{ name: "a.png" }] }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "attachments" },
  { name: "attachment never uploaded", body: { text: "hi", attachments: ["f_AAAAAAAAAAAAAAAA"] }, status: 400, code: "ARZ_ERR_UNKNOWN_FILE", mentions: "upload it with POST /web/chats/c1/files" },
  { name: "attachments not an array", body: { text: "hi", attachments: "a.png" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "attachments" },
  { name: "chat name with a space", chat: "bad%20name", body: { text: "hi" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "chat" },
  { name: "chat name of 65 characters", chat: "c".repeat(65), body: { text: "hi" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "chat" },
  { name: "chat name with a dot", chat: "a.b", body: { text: "hi" }, status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "chat" },
  { name: "JSON array body", body: "[]", status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "body" },
  { name: "JSON null body", body: "null", status: 400, code: "ARZ_ERR_INVALID_REQUEST", mentions: "body" },
];

/** Errors raised while reading the body, before any schema check. */
const BODY_ERRORS: BadPost[] = [
  { name: "non-JSON body", body: "{text: hi}", status: 400, code: "ARZ_ERR_INVALID_JSON", mentions: "JSON" },
  { name: "empty JSON body", body: "", status: 400, code: "ARZ_ERR_INVALID_JSON", mentions: /empty/i },
  { name: "form content type", body: "text=hi", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415, code: "ARZ_ERR_UNSUPPORTED_MEDIA_TYPE", mentions: 'unsupported content type "application/x-www-form-urlencoded"; send the body as application/json' },
  { name: "XML content type", body: "<text>hi</text>", headers: { "content-type": "application/xml" }, status: 415, code: "ARZ_ERR_UNSUPPORTED_MEDIA_TYPE", mentions: "application/json" },
  { name: "body over 1 MiB", body: JSON.stringify({ text: "x".repeat(1_100_000) }), status: 413, code: "ARZ_ERR_BODY_TOO_LARGE", mentions: "larger than 1048576 bytes" },
];

let instance: TestInstance;
let visitor: Client;

beforeAll(async () => {
  instance = await startInstance();
  visitor = instance.client();
});

afterAll(() => instance.dispose());

async function post(bad: Pick<BadPost, "chat" | "body" | "headers">) {
  return visitor.post<ErrorBody>(`/web/chats/${bad.chat ?? "c1"}/messages`, bad.body, bad.headers);
}

describe("rejected posts", () => {
  it.each(JSON_ERRORS)("rejects $name", async (bad) => {
    const before = countRows(instance, "messages");
    const response = await post(bad);

    expect(response.status).toBe(bad.status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body.error.code).toBe(bad.code);
    expect(response.body.error.message).toMatch(bad.mentions);
    expect(countRows(instance, "messages")).toBe(before);
  });

  it.each(BODY_ERRORS)("rejects $name", async (bad) => {
    const before = countRows(instance, "messages");
    const response = await post(bad);

    expect(response.status).toBe(bad.status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body.error.code).toBe(bad.code);
    expect(response.body.error.message).toMatch(bad.mentions);
    expect(countRows(instance, "messages")).toBe(before);
  });

  it("leaves the store unchanged", async () => {
    for (const bad of [...JSON_ERRORS, ...BODY_ERRORS]) await post(bad);

    expect(countRows(instance, "messages")).toBe(0);
    expect(countRows(instance, "web_chats")).toBe(0);
  });

  it("names the unknown field", async () => {
    const response = await post({ body: { text: "hi", colour: "red" } });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("colour");
  });

  it("rejects a text/plain body with 415", async () => {
    const response = await post({ body: JSON.stringify({ text: "hi" }), headers: { "content-type": "text/plain" } });

    expect(response.status).toBe(415);
    expect(countRows(instance, "messages")).toBe(0);
  });

  it("says how to attach a file that was never uploaded", async () => {
    const response = await post({ body: { text: "", attachments: ["f_AAAAAAAAAAAAAAAA"] } });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("ARZ_ERR_UNKNOWN_FILE");
    expect(countRows(instance, "messages")).toBe(0);
  });
});

describe("accepted post", () => {
  it("stores a valid post once", async () => {
    const before = countRows(instance, "messages");
    const response = await visitor.say("valid", "hello");

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ seq: expect.any(Number), duplicate: false });
    expect(countRows(instance, "messages")).toBe(before + 1);
  });
});
