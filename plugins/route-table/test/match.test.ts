import type { StoredMessage } from "@arizuko/sdk";
import { describe, expect, it } from "vitest";
import { fieldsOf, matches, MATCH_KEYS, parseMatch } from "../src/match.js";

/** Builds a stored Telegram group mention. Tests override the fields the match grammar reads. */
function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    seq: 1,
    id: "m1",
    chat: "telegram:600000001/-1001000000001",
    platformId: "42",
    kind: "message",
    direction: "in",
    verb: "mention",
    sender: "telegram:111",
    senderName: null,
    text: "hello",
    topic: "",
    replyTo: null,
    target: null,
    attachments: [],
    state: "pending",
    group: null,
    runId: null,
    routeLayer: null,
    routeReason: null,
    ts: 0,
    storedAt: 0,
    ...overrides,
  };
}

function matchesMessage(expression: string, overrides: Partial<StoredMessage> = {}): boolean {
  return matches(parseMatch(expression), fieldsOf(message(overrides)));
}

/** Runs `action` and returns the error it throws. Fails the test when `action` returns normally. */
function thrownBy(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the call to throw, but it returned");
}

describe("fieldsOf", () => {
  it("splits the chat JID into fields", () => {
    expect(fieldsOf(message())).toEqual({
      platform: "telegram",
      account: "600000001",
      chat: "telegram:600000001/-1001000000001",
      sender: "telegram:111",
      verb: "mention",
      topic: "",
      text: message().text,
    });
  });

  it("reads a missing verb as empty", () => {
    expect(fieldsOf(message({ verb: null })).verb).toBe("");
  });
});

describe("match grammar", () => {
  // [expression, overrides of the default Telegram group mention, expected]
  const CASES: Array<[string, Partial<StoredMessage>, boolean]> = [
    ["", {}, true],
    ["   ", {}, true],
    ["platform=telegram", {}, true],
    ["platform=web", {}, false],
    ["platform=Telegram", {}, false],
    ["platform=tele*", {}, true],
    ["platform=*gram", {}, true],
    ["platform=t*m", {}, true],
    ["platform=telegram*", {}, true],
    ["platform=**", {}, true],
    ["platform=tele", {}, false],
    ["platform=tele.ram", {}, false],
    ["platform=*", {}, true],
    ["account=600000001", {}, true],
    ["account=6*1", {}, true],
    ["account=600000002", {}, false],
    ["chat=telegram:600000001/-1001000000001", {}, true],
    ["chat=telegram:*/-100*", {}, true],
    ["chat=telegram:*/-100*", { chat: "telegram:600000001/555" }, false],
    ["chat=*", {}, true],
    ["chat=discord:1/*", { chat: "discord:1/2/3" }, false],
    ["chat=discord:1/*/*", { chat: "discord:1/2/3" }, true],
    ["chat=whatsapp:*/*@g.us", { chat: "whatsapp:15550000001/120363000000000001@g.us" }, true],
    ["sender=telegram:111", {}, true],
    ["sender=telegram:1", {}, false],
    ["sender=telegram:*", {}, true],
    ["sender=local:*", { sender: "local:acme" }, true],
    ["sender=local:*", { sender: "local:acme/support" }, false],
    ["verb=mention", {}, true],
    ["verb=message", {}, false],
    ["verb=", { verb: null }, true],
    ["verb=", {}, false],
    ["verb=*", { verb: null }, false],
    ["topic=", {}, true],
    ["topic=*", {}, false],
    ["topic=*", { topic: "general" }, true],
    ["topic=gen*", { topic: "general" }, true],
    ["topic=", { topic: "general" }, false],
    ["!platform=telegram", {}, false],
    ["!platform=web", {}, true],
    ["!topic=*", {}, true],
    ["!topic=", {}, false],
    ["!verb=", {}, true],
    ["!chat=telegram:*/-100*", {}, false],
    ["sender=a+b(c)", { sender: "a+b(c)" }, true],
    ["sender=a+b(c)", { sender: "aab(c)" }, false],
    ["platform=telegram verb=mention", {}, true],
    ["platform=telegram verb=message", {}, false],
    ["platform=web verb=mention", {}, false],
    ["  platform=telegram    verb=mention  ", {}, true],
    ["platform=telegram chat=telegram:*/-100* verb=mention", {}, true],
    ["platform=telegram chat=telegram:*/-100* verb=mention", { verb: "message" }, false],
    ["platform=telegram chat=telegram:*/-100* !sender=telegram:111", {}, false],
  ];

  it.each(CASES)("%j on %j matches: %s", (expression, overrides, expected) => {
    expect(matchesMessage(expression, overrides)).toBe(expected);
  });

  it("parses an empty expression to no terms", () => {
    expect(parseMatch("")).toEqual([]);
  });

  it("keeps each term's source and sign", () => {
    const terms = parseMatch("platform=web !verb=");

    expect(terms.map((term) => [term.key, term.negated, term.source])).toEqual([
      ["platform", false, "platform=web"],
      ["verb", true, "!verb="],
    ]);
  });

  it("accepts every documented key", () => {
    expect(MATCH_KEYS).toEqual(["platform", "account", "chat", "sender", "verb", "topic", "text"]);
    for (const key of MATCH_KEYS.filter((name) => name !== "text")) expect(parseMatch(`${key}=*`)[0]!.key).toBe(key);
    expect(parseMatch("text~hello")[0]!.key).toBe("text");
  });

  it.each([
    ["text~^hello", "Hello there", true],
    ["text~urgent", "this is URGENT", true],
    ["text~^hello", "well, hello", false],
    ["!text~spam", "ham", true],
    ["!text~spam", "SPAM offer", false],
    ["text~\\d{3}", "call 555", true],
  ])("%j against %j is %s", (expression, text, expected) => {
    expect(matches(parseMatch(expression), { ...fieldsOf(message()), text })).toBe(expected);
  });
});

describe("match grammar errors", () => {
  // [expression, the bad term, words the message must contain]
  const ERRORS: Array<[string, string, string]> = [
    ["platform", "platform", "expected key=glob"],
    ["platform=web chat", "chat", "expected key=glob"],
    ["!", "!", "expected key=glob"],
    ["text~", "text~", "the pattern after text~ is empty"],
    ["text~(unclosed", "text~(unclosed", "not a valid regular expression"],
    ["text~(a+)+$", "text~(a+)+$", "exponential time"],
    [`text~${"a".repeat(201)}`, `text~${"a".repeat(201)}`, "longer than 200 characters"],
    ["text=hello", "text=hello", "match text with text~regex"],
    ["PLATFORM=web", "PLATFORM=web", 'unknown key "PLATFORM"'],
    ["=web", "=web", 'unknown key ""'],
    ["platform=web !room=1", "!room=1", 'unknown key "room"'],
    ["chat=telegram:*", "chat=telegram:*", "a chat JID always contains `/`"],
    ["!chat=web:local", "!chat=web:local", "so this never matches; write e.g. chat=telegram:*/*"],
  ];

  it.each(ERRORS)("rejects %j with ARZ_ERR_ROUTE_MATCH", (expression) => {
    expect(thrownBy(() => parseMatch(expression)).code).toBe("ARZ_ERR_ROUTE_MATCH");
  });

  it.each(ERRORS)("%j names the term %j", (expression, term) => {
    expect(thrownBy(() => parseMatch(expression)).message).toContain(`invalid route term ${JSON.stringify(term)}`);
  });

  it.each(ERRORS)("%j explains the problem", (expression, _term, problem) => {
    expect(thrownBy(() => parseMatch(expression)).message).toContain(problem);
  });

  it("lists the keys for an unknown key", () => {
    expect(thrownBy(() => parseMatch("room=1")).message).toContain("keys are platform, account, chat, sender, verb, topic");
  });
});
