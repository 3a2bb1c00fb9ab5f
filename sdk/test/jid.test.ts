import { describe, expect, it } from "vitest";
import {
  chatJid,
  chatPrefix,
  formatJid,
  hasPrefix,
  isChatJid,
  localJid,
  MAX_JID_LENGTH,
  parseChatJid,
  parseJid,
  parseSenderJid,
  senderJid,
  tryParseJid,
  type Jid,
} from "../src/jid.js";

/** Runs `action` and returns the error it throws. Fails the test when `action` returns normally. */
function thrownBy(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the call to throw, but it returned");
}

const VALID: Array<[string, Jid]> = [
  ["telegram:600000001/-1001000000001", { kind: "chat", platform: "telegram", account: "600000001", chat: "-1001000000001" }],
  ["whatsapp:15550000001/120363000000000001@g.us", { kind: "chat", platform: "whatsapp", account: "15550000001", chat: "120363000000000001@g.us" }],
  ["discord:123/456/789", { kind: "chat", platform: "discord", account: "123", chat: "456/789" }],
  ["web:local/c1", { kind: "chat", platform: "web", account: "local", chat: "c1" }],
  ["http-bridge:bot1/room:1", { kind: "chat", platform: "http-bridge", account: "bot1", chat: "room:1" }],
  ["telegram:111", { kind: "sender", platform: "telegram", user: "111" }],
  ["web:v_abc123", { kind: "sender", platform: "web", user: "v_abc123" }],
  ["local:main", { kind: "local", folder: "main" }],
  ["local:acme/support", { kind: "local", folder: "acme/support" }],
  ["local:a/b/c/d", { kind: "local", folder: "a/b/c/d" }],
];

describe("parseJid", () => {
  it.each(VALID)("parses %s", (value, expected) => {
    expect(parseJid(value)).toEqual(expected);
  });

  it.each(VALID)("formats %s back unchanged", (value) => {
    expect(formatJid(parseJid(value))).toBe(value);
  });

  it("accepts a JID of the maximum length", () => {
    const value = "telegram:1/" + "9".repeat(MAX_JID_LENGTH - "telegram:1/".length);
    expect(parseJid(value)).toMatchObject({ kind: "chat", account: "1" });
  });
});

describe("parseJid rejects invalid values", () => {
  // [case, value, words the message must contain besides the value itself]
  const INVALID: Array<[string, string, string]> = [
    ["empty", "", "empty"],
    ["no colon", "telegram", "missing `:`"],
    ["uppercase platform", "Telegram:1/2", 'platform "Telegram"'],
    ["platform starting with a digit", "1tg:1/2", 'platform "1tg"'],
    ["empty platform", ":1/2", 'platform ""'],
    ["empty account", "telegram:/2", "account part is empty"],
    ["empty chat", "telegram:1/", "chat part is empty"],
    ["empty user", "telegram:", "user part is empty"],
    ["space in chat", "telegram:1/a b", "whitespace or control characters"],
    ["leading space in user", "telegram: 111", "whitespace or control characters"],
    ["tab at the end", "telegram:1/2\t", "whitespace or control characters"],
    ["newline in user", "telegram:11\n1", "whitespace or control characters"],
    ["bell character", "telegram:1/a\u0007", "whitespace or control characters"],
    ["DEL character", "telegram:1/a\u007f", "whitespace or control characters"],
    ["bidi override U+202E", "telegram:1/a\u202eb", "whitespace or control characters"],
    ["bidi isolate U+2066", "telegram:\u2066111", "whitespace or control characters"],
    ["local with uppercase folder", "local:Acme", "folder must be 1-4 segments"],
    ["local with empty folder", "local:", "folder must be 1-4 segments"],
    ["local with trailing slash", "local:acme/", "folder must be 1-4 segments"],
    ["local five levels deep", "local:a/b/c/d/e", "folder must be 1-4 segments"],
    ["local with a dot segment", "local:acme/../x", "folder must be 1-4 segments"],
  ];

  it.each(INVALID)("rejects %s", (_case, value) => {
    expect(thrownBy(() => parseJid(value)).code).toBe("ARZ_ERR_INVALID_JID");
  });

  it.each(INVALID)("names the value for %s", (_case, value) => {
    const message = thrownBy(() => parseJid(value)).message;
    // Invisible and control characters are shown as \uXXXX escapes instead of raw.
    if (/[\p{Cc}\p{Cf}]/u.test(value)) expect(message).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    else expect(message).toContain(`invalid JID ${JSON.stringify(value)}`);
  });

  it.each(INVALID)("explains the problem for %s", (_case, value, problem) => {
    expect(thrownBy(() => parseJid(value)).message).toContain(problem);
  });

  it("lists the accepted forms", () => {
    expect(thrownBy(() => parseJid("telegram")).message).toContain("`<platform>:<account>/<chat>`, `<platform>:<user>` or `local:<folder>`");
  });

  it("rejects a JID one past the limit", () => {
    const value = "telegram:1/" + "9".repeat(MAX_JID_LENGTH + 1 - "telegram:1/".length);
    const error = thrownBy(() => parseJid(value));

    expect(error.code).toBe("ARZ_ERR_INVALID_JID");
    expect(error.message).toContain(`longer than ${MAX_JID_LENGTH} characters`);
  });

  it("names a shortened too-long value", () => {
    const error = thrownBy(() => parseJid("telegram:1/" + "9".repeat(1000)));

    expect(error.message).toContain(JSON.stringify("telegram:1/" + "9".repeat(29) + "…"));
    expect(error.message.length).toBeLessThan(300);
  });

  it("returns null from tryParseJid", () => {
    expect(tryParseJid("Telegram:1/2")).toBeNull();
    expect(tryParseJid("telegram:1/2")).toMatchObject({ kind: "chat" });
  });
});

describe("JID builders", () => {
  it("builds a chat JID", () => {
    expect(chatJid("telegram", "600000001", "-1001000000001")).toBe("telegram:600000001/-1001000000001");
  });

  it("keeps slashes in the chat part", () => {
    const value = chatJid("discord", "123", "456/789");

    expect(value).toBe("discord:123/456/789");
    expect(parseJid(value)).toEqual({ kind: "chat", platform: "discord", account: "123", chat: "456/789" });
  });

  it("builds a sender JID", () => {
    expect(senderJid("telegram", "111")).toBe("telegram:111");
    expect(parseSenderJid(senderJid("telegram", "111"))).toEqual({ kind: "sender", platform: "telegram", user: "111" });
  });

  it("builds a local JID", () => {
    expect(localJid("acme/support")).toBe("local:acme/support");
    expect(parseSenderJid(localJid("acme/support"))).toEqual({ kind: "local", folder: "acme/support" });
  });

  it("rejects an account containing a slash", () => {
    const error = thrownBy(() => chatJid("telegram", "a/b", "c"));

    expect(error.code).toBe("ARZ_ERR_INVALID_JID");
    expect(error.message).toContain('"telegram:a/b/c"');
    expect(error.message).toContain("account part must not contain `/`");
  });

  it("rejects a user containing a slash", () => {
    const error = thrownBy(() => senderJid("telegram", "a/b"));

    expect(error.code).toBe("ARZ_ERR_INVALID_JID");
    expect(error.message).toContain("user part must not contain `/`");
  });

  // Known bug: senderJid("local", "acme") blames a `/` that the user part does not contain.
  it("senderJid explains the local platform", () => {
    expect(thrownBy(() => senderJid("local", "acme")).message).toContain("the platform `local` is reserved for groups");
  });

  it("chatJid explains the local platform", () => {
    expect(thrownBy(() => chatJid("local", "acme", "x")).message).toContain("the platform `local` is reserved for groups");
  });

  it("error shows bidi characters escaped", () => {
    expect(thrownBy(() => parseJid("web:local/c\u202e1")).message).toContain('"web:local/c\\u202e1"');
  });

  it.each([
    ["empty account", () => chatJid("telegram", "", "1")],
    ["empty chat", () => chatJid("telegram", "1", "")],
    ["uppercase platform", () => chatJid("Web", "local", "c1")],
    ["whitespace in chat", () => chatJid("web", "local", "c 1")],
    ["empty user", () => senderJid("telegram", "")],
    ["invalid folder", () => localJid("Acme")],
  ])("builder rejects %s", (_case, build) => {
    expect(thrownBy(build).code).toBe("ARZ_ERR_INVALID_JID");
  });
});

describe("chat prefixes", () => {
  it("builds the prefix of an account", () => {
    expect(chatPrefix("telegram", "600000001")).toBe("telegram:600000001/");
  });

  it("rejects a prefix account with a slash", () => {
    expect(thrownBy(() => chatPrefix("telegram", "6/1")).code).toBe("ARZ_ERR_INVALID_JID");
  });

  it.each([
    ["telegram:600000001/-1001", "telegram:600000001/", true],
    ["discord:123/456/789", "discord:123/", true],
    ["telegram:600000001/", "telegram:600000001/", false],
    ["telegram:6000000012/-1001", "telegram:600000001/", false],
    ["telegram:600000002/-1001", "telegram:600000001/", false],
    ["whatsapp:600000001/-1001", "telegram:600000001/", false],
  ])("hasPrefix(%s, %s) is %s", (jid, prefix, expected) => {
    expect(hasPrefix(jid, prefix)).toBe(expected);
  });
});

describe("typed parsers", () => {
  it("parseChatJid returns the chat parts", () => {
    expect(parseChatJid("web:local/c1")).toEqual({ kind: "chat", platform: "web", account: "local", chat: "c1" });
  });

  it.each(["telegram:111", "local:acme"])("parseChatJid rejects %s", (value) => {
    const error = thrownBy(() => parseChatJid(value));

    expect(error.code).toBe("ARZ_ERR_INVALID_JID");
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.message).toContain("a chat JID needs `<platform>:<account>/<chat>`");
  });

  it("parseSenderJid rejects a chat", () => {
    const error = thrownBy(() => parseSenderJid("telegram:1/2"));

    expect(error.code).toBe("ARZ_ERR_INVALID_JID");
    expect(error.message).toContain('"telegram:1/2"');
    expect(error.message).toContain("a sender JID has no `/<chat>` part");
  });

  it.each([
    ["web:local/c1", true],
    ["discord:1/2/3", true],
    ["telegram:111", false],
    ["local:acme/support", false],
    ["not a jid", false],
  ])("isChatJid(%s) is %s", (value, expected) => {
    expect(isChatJid(value)).toBe(expected);
  });
});
