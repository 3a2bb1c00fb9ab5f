/**
 * Malformed and hostile requests against every HTTP route registered when the test
 * runs, so routes added later are covered too: wrong types, missing fields, huge
 * strings, deep nesting, invalid UTF-8, `__proto__` keys, bad path parameters and
 * query strings. Nothing may crash, every rejection is a 4xx JSON error that says
 * what was wrong, and only accepted posts add messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../helpers/instance.js";

/** Requests in `npm test`; the soak sends ten times as many. */
const REQUESTS = process.env.ARIZUKO_SOAK ? 100_000 : 10_000;
const CONCURRENCY = 16;

let instance: TestInstance;
let cookie = "";

beforeAll(async () => {
  instance = await startInstance();
  // No route: accepted messages are stored as context and start no runs, so the message
  // count moves only by the posts the server accepted.
  expect((await instance.kernel.runCli(["route", "rm", "1"])).exitCode).toBe(0);
  const page = await fetch(`${instance.url}/`);
  cookie = page.headers.getSetCookie()[0]!.split(";")[0]!;
});

afterAll(() => instance.dispose());

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

type Body = string | Uint8Array | undefined;

const SCALARS = [0, -1, 1.5, 1e308, true, false, null, "", " ", "x".repeat(300), "\u0000", "\ud800", "<script>", "../../etc", "%00"];

function deep(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

function bodies(rng: ReturnType<typeof random>): Body[] {
  const value = () => rng.pick<unknown>([...SCALARS, [], {}, [1, 2], { a: 1 }]);
  return [
    undefined,
    "",
    "null",
    "[]",
    "42",
    '"text"',
    "{",
    "{text: hi}",
    JSON.stringify({}),
    JSON.stringify({ text: value() }),
    JSON.stringify({ text: "hi", id: value() }),
    JSON.stringify({ text: "hi", sender_name: value(), topic: value(), reply_to: value() }),
    JSON.stringify({ text: "hi", [`k${Math.floor(rng.next() * 1000)}`]: value() }),
    JSON.stringify({ text: "x".repeat(100_001) }),
    JSON.stringify({ text: "x".repeat(1_100_000) }),
    `{"text":${deep(2_000)}}`,
    deep(10_000),
    '{"__proto__":{"polluted":true},"text":"hi"}',
    '{"constructor":{"prototype":{"polluted":true}},"text":"hi"}',
    new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]),
    JSON.stringify({ text: "valid message", id: `ok-${Math.floor(rng.next() * 1e9)}` }),
  ];
}

const CHAT_NAMES = ["c1", "x".repeat(65), "a.b", "%2e%2e", "%00", "%F0%9F%98%80", "bad%20name", "c-2_3", "%ff"];
const QUERIES = ["", "?after=", "?after=-1", "?after=abc", "?after=99999999999999999999", "?limit=0", "?limit=1001", "?limit=5&after=1", "?x=1", "?after[]=1", "?__proto__=1"];
const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""];

function fill(route: string, rng: ReturnType<typeof random>): string {
  return route.replace(/:[A-Za-z]+/g, () => rng.pick(CHAT_NAMES));
}

interface Outcome {
  request: string;
  status: number;
  problem: string | null;
}

async function send(method: string, path: string, body: Body, contentType: string): Promise<Outcome> {
  const controller = new AbortController();
  const request = `${method} ${path} (${contentType || "no content type"}, ${body === undefined ? "no body" : `${body.length} bytes`})`;
  const response = await fetch(instance.url + path, {
    method,
    headers: { cookie, ...(contentType && { "content-type": contentType }), "last-event-id": path.length % 2 ? "zz" : "1" },
    body: method === "GET" || method === "HEAD" ? undefined : body,
    signal: controller.signal,
  });

  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    controller.abort();
    return { request, status: response.status, problem: null };
  }
  const text = await response.text();
  if (response.status >= 500) return { request, status: response.status, problem: `server error: ${text.slice(0, 200)}` };
  if (response.status < 400) return { request, status: response.status, problem: null };

  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const ok = typeof parsed.error?.code === "string" && typeof parsed.error.message === "string" && parsed.error.message.length > 0;
    return { request, status: response.status, problem: ok ? null : `no reason in ${text.slice(0, 200)}` };
  } catch {
    return { request, status: response.status, problem: `not JSON: ${text.slice(0, 200)}` };
  }
}

describe("hostile requests", () => {
  it(`gets ${REQUESTS} of them a clear 4xx`, async () => {
    const routes = instance.kernel.httpRoutes().map(({ route }) => route.split(" ") as [string, string]);
    expect(routes.length).toBeGreaterThanOrEqual(5);
    const count = () => (instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
    const before = count();

    const rng = random(20_261_204);
    const outcomes: Outcome[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent += 1;
        const [method, route] = rng.pick(routes);
        const path = fill(route, rng) + rng.pick(QUERIES);
        outcomes.push(await send(method, path, rng.pick(bodies(rng)), rng.pick(CONTENT_TYPES)));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const accepted = outcomes.filter((outcome) => outcome.status === 202 && outcome.request.startsWith("POST")).length;
    const problems = outcomes.filter((outcome) => outcome.problem !== null);
    expect(problems.slice(0, 5)).toEqual([]);
    expect(count()).toBe(before + accepted);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${instance.url}/health`)).status).toBe(200);
  }, 600_000);
});
