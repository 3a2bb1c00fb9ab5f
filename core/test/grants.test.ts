/**
 * The grant rule grammar and its checks, as a table: rules, action, params → verdict
 * and the deciding rule. Then parse errors, and narrowing a child under its parent.
 */
import { describe, expect, it } from "vitest";
import { deriveRules, routePlatform } from "../src/grants/derive.js";
import { check, checkGrants, grants, mayAllow, mayAllowGrants, narrow, parseRule, parseRules } from "../src/grants/rules.js";

type Params = Record<string, string | undefined>;
const CASES: Array<[name: string, rules: string[], action: string, params: Params, allowed: boolean, rule: string | null]> = [
  ["no rules deny", [], "send", {}, false, null],
  ["a bare action allows it", ["send"], "send", {}, true, "send"],
  ["a bare action allows any params", ["send"], "send", { chat: "web:local/c1" }, true, "send"],
  ["action() is the bare action", ["send()"], "send", { chat: "x" }, true, "send()"],
  ["another action is not matched", ["send"], "reply", {}, false, null],
  ["names match whole", ["send"], "send_file", {}, false, null],
  ["! denies", ["!send"], "send", {}, false, "!send"],
  ["the last match wins (deny)", ["send", "!send"], "send", {}, false, "!send"],
  ["the last match wins (allow)", ["!send", "send"], "send", {}, true, "send"],
  ["a later non-matching rule does not decide", ["send", "!reply"], "send", {}, true, "send"],
  ["* matches name characters", ["send_*"], "send_file", {}, true, "send_*"],
  ["* matches an empty run", ["send*"], "send", {}, true, "send*"],
  ["* alone matches every action", ["*"], "delete_route", {}, true, "*"],
  ["* does not match a dot", ["send*"], "send.file", {}, false, null],
  ["* does not match a slash", ["a*"], "a/b", {}, false, null],
  ["* inside a name", ["list_*s"], "list_routes", {}, true, "list_*s"],
  ["an action is case-sensitive", ["Send"], "send", {}, false, null],
  ["a param glob matches", ["send(chat=telegram:*)"], "send", { chat: "telegram:1/-100" }, true, "send(chat=telegram:*)"],
  ["a param glob does not match", ["send(chat=telegram:*)"], "send", { chat: "web:local/c1" }, false, null],
  ["a named param must be present", ["send(chat=*)"], "send", {}, false, null],
  ["param * matches an empty value", ["send(chat=*)"], "send", { chat: "" }, true, "send(chat=*)"],
  ["param * does not cross a comma", ["send(chat=a*)"], "send", { chat: "a,b" }, false, null],
  ["param * does not cross a parenthesis", ["send(chat=a*)"], "send", { chat: "a)b" }, false, null],
  ["param * crosses a slash", ["send(chat=web:*)"], "send", { chat: "web:local/c1" }, true, "send(chat=web:*)"],
  ["a literal param value", ["react(emoji=👍)"], "react", { emoji: "👍" }, true, "react(emoji=👍)"],
  ["a literal value must match whole", ["react(emoji=👍)"], "react", { emoji: "👍👍" }, false, null],
  ["dots in a value are literal", ["send(chat=a.b)"], "send", { chat: "axb" }, false, null],
  ["an unmentioned param is unconstrained", ["send(chat=web:*)"], "send", { chat: "web:local/c", text: "hi" }, true, "send(chat=web:*)"],
  ["two params must both hold", ["send(chat=web:*, topic=ops)"], "send", { chat: "web:local/c", topic: "ops" }, true, "send(chat=web:*, topic=ops)"],
  ["two params, one fails", ["send(chat=web:*, topic=ops)"], "send", { chat: "web:local/c", topic: "dev" }, false, null],
  ["!param requires absence", ["reply(!target)"], "reply", {}, true, "reply(!target)"],
  ["!param fails when present", ["reply(!target)"], "reply", { target: "m1" }, false, null],
  ["!param with another term", ["reply(!target, chat=web:*)"], "reply", { chat: "web:local/c" }, true, "reply(!target, chat=web:*)"],
  ["an undefined param counts as absent", ["reply(!target)"], "reply", { target: undefined }, true, "reply(!target)"],
  ["operator role required: operator", ["set_grants(sender_role=operator)"], "set_grants", { sender_role: "operator" }, true, "set_grants(sender_role=operator)"],
  ["operator role required: member", ["set_grants(sender_role=operator)"], "set_grants", { sender_role: "member" }, false, null],
  ["operator role required: guest", ["set_grants(sender_role=operator)"], "set_grants", { sender_role: "guest" }, false, null],
  ["deny guests after allowing all", ["*", "!*(sender_role=guest)"], "send", { sender_role: "guest" }, false, "!*(sender_role=guest)"],
  ["members pass the guest denial", ["*", "!*(sender_role=guest)"], "send", { sender_role: "member" }, true, "*"],
  ["narrow deny after broad allow", ["send", "!send(chat=telegram:*)"], "send", { chat: "telegram:1/2" }, false, "!send(chat=telegram:*)"],
  ["broad allow for other chats", ["send", "!send(chat=telegram:*)"], "send", { chat: "web:local/1" }, true, "send"],
  ["a specific allow after a broad deny", ["!send", "send(chat=web:local/c1)"], "send", { chat: "web:local/c1" }, true, "send(chat=web:local/c1)"],
  ["the broad deny for others", ["!send", "send(chat=web:local/c1)"], "send", { chat: "web:local/c2" }, false, "!send"],
  ["whitespace around terms", ["send( chat = web:* , topic=ops )"], "send", { chat: "web:x/y", topic: "ops" }, true, "send( chat = web:* , topic=ops )"],
  ["whitespace around the rule", ["  send  "], "send", {}, true, "send"],
  ["a denied wildcard action", ["*", "!delete*"], "delete_route", {}, false, "!delete*"],
  ["the wildcard still allows others", ["*", "!delete*"], "list_routes", {}, true, "*"],
  ["a glob with several stars", ["send(chat=*:*/-100*)"], "send", { chat: "telegram:600/-1001" }, true, "send(chat=*:*/-100*)"],
  ["several stars, no match", ["send(chat=*:*/-100*)"], "send", { chat: "telegram:600/555" }, false, null],
  ["regex characters are literal in values", ["send(chat=a+b)"], "send", { chat: "a+b" }, true, "send(chat=a+b)"],
  ["regex characters are literal, no match", ["send(chat=a+b)"], "send", { chat: "aab" }, false, null],
  ["an empty value matches only empty", ["send(topic=)"], "send", { topic: "" }, true, "send(topic=)"],
  ["an empty value does not match text", ["send(topic=)"], "send", { topic: "ops" }, false, null],
];

describe("grant checks", () => {
  it("has at least 50 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
  });

  it.each(CASES)("%s", (_name, rules, action, params, allowed, rule) => {
    expect(check(parseRules(rules), action, params)).toEqual({ allowed, rule });
  });
});

describe("grant rule errors", () => {
  it.each([
    ["", 1, "expected an action name"],
    ["!", 2, "expected an action name"],
    ["send(chat=web:*", 16, 'missing ")"'],
    ["send(chat=web:*) extra", 17, "text after the closing parenthesis"],
    ["send chat", 5, 'unexpected " " after the action'],
    ["send-file", 5, 'unexpected "-" after the action'],
    ["send(chat)", 6, 'expected name=glob, got "chat"'],
    ["send(chat=a,)", 13, "an empty parameter"],
    ["send(chat=a, chat=b)", 14, "parameter chat named twice"],
    ["send(1chat=a)", 6, 'invalid parameter name "1chat"'],
    ["send(chat=a(b)", 6, '"(" in the value of chat'],
  ] as const)("rejects %j at position %i", (rule, position, problem) => {
    expect(() => parseRule(rule)).toThrow(`at position ${position}: ${problem}`);
  });

  it("names the fix", () => {
    expect(() => parseRule("send(chat)")).toThrow("write chat=* to require the param, or !chat to require it absent");
  });

  it("names the line of a bad rule in a list", () => {
    expect(() => parseRules(["send", "reply(", "react"])).toThrow(/^rule 2: invalid grant rule "reply\(" at position 7: missing "\)"/);
  });
});

describe("narrowing", () => {
  const parent = grants(parseRules(["send(chat=web:*)", "reply"]));

  it("keeps what both allow", () => {
    expect(checkGrants(narrow(parent, parseRules(["send", "reply"])), "send", { chat: "web:local/c1" })).toEqual({ allowed: true, rule: "send", layer: 1 });
  });

  it("never allows more than the parent", () => {
    expect(checkGrants(narrow(parent, parseRules(["*"])), "send", { chat: "telegram:1/2" })).toEqual({ allowed: false, rule: null, layer: 0 });
  });

  it("lets the child deny what the parent allows", () => {
    expect(checkGrants(narrow(parent, parseRules(["*", "!reply"])), "reply", {})).toEqual({ allowed: false, rule: "!reply", layer: 1 });
  });

  it("narrows through several levels", () => {
    const child = narrow(parent, parseRules(["send", "reply"]));
    const grandchild = narrow(child, parseRules(["reply"]));
    expect(checkGrants(grandchild, "send", { chat: "web:local/c1" }).allowed).toBe(false);
    expect(checkGrants(grandchild, "reply", {}).allowed).toBe(true);
  });
});

describe("derived defaults", () => {
  const ROUTES = [
    { match: "platform=web", target: "main", mode: "run" as const },
    { match: "platform=telegram chat=telegram:*/-100*", target: "team", mode: "run" as const },
    { match: "chat=discord:*/*", target: "team/dev", mode: "run" as const },
    { match: "platform=telegram", target: "users/{sender}", mode: "run" as const },
  ];
  const derived = (folder: string, routes = ROUTES, operatorGroup: string | null = "ops") => parseRules(deriveRules({ folder, operatorGroup, routes }));

  it.each([
    ["the operator group may do anything", "ops", "set_grants", { sender_role: "guest" }, true, "*"],
    ["a top-level group acts on its platforms", "team", "delete_route", { platform: "telegram", chat: "telegram:1/-1002" }, true, "*(platform=telegram)"],
    ["a top-level group acts on its children's platforms", "team", "send", { platform: "discord", chat: "discord:1/2" }, true, "*(platform=discord)"],
    ["a top-level group does not act elsewhere", "team", "send", { platform: "web", chat: "web:local/c1" }, false, null],
    ["a top-level group may act on no chat", "team", "list_groups", {}, true, "*(!platform)"],
    ["main acts on the web", "main", "send", { platform: "web", chat: "web:local/c1" }, true, "*(platform=web)"],
    ["a second-level group may send on its platforms", "team/dev", "send", { platform: "discord", chat: "discord:1/2" }, true, "send(platform=discord)"],
    ["a second-level group may reply on its platforms", "team/dev", "reply", { platform: "discord" }, true, "reply(platform=discord)"],
    ["a second-level group may not delete", "team/dev", "delete", { platform: "discord" }, false, null],
    ["a second-level group may send on its top-level group's platforms", "team/dev", "send", { platform: "telegram" }, true, "send(platform=telegram)"],
    ["a second-level group may not send elsewhere", "team/dev", "send", { platform: "web" }, false, null],
    ["a {sender} route reaches its parent", "users", "send", { platform: "telegram" }, true, "*(platform=telegram)"],
    ["a {sender} route reaches each sender's group", "users/telegram-111", "send", { platform: "telegram" }, true, "send(platform=telegram)"],
    ["a deeper group may only reply", "team/dev/bot", "reply", { platform: "discord" }, true, "reply"],
    ["a deeper group may not send", "team/dev/bot", "send", { platform: "discord" }, false, null],
  ] as const)("%s", (_name, folder, action, params, allowed, rule) => {
    expect(check(derived(folder), action, params)).toEqual({ allowed, rule });
  });

  it("gives a group no route reaches only chat-free actions", () => {
    expect(deriveRules({ folder: "lonely", operatorGroup: null, routes: ROUTES })).toEqual(["*(!platform)"]);
  });

  it("falls back to depth alone without the route table", () => {
    expect(deriveRules({ folder: "team/dev", operatorGroup: null, routes: [] })).toEqual([]);
    expect(deriveRules({ folder: "team", operatorGroup: null, routes: [] })).toEqual(["*(!platform)"]);
    expect(deriveRules({ folder: "team/dev/bot", operatorGroup: null, routes: [] })).toEqual(["reply"]);
  });

  it("reads a route matching everything as any platform", () => {
    expect(deriveRules({ folder: "main", operatorGroup: null, routes: [{ match: "", target: "main", mode: "run" }] })).toEqual(["*(platform=*)", "*(!platform)"]);
  });

  it.each([
    ["platform=web", "web"],
    ["platform=tele*", "tele*"],
    ["chat=telegram:*/-100*", "telegram"],
    ["chat=*:*/x", "*"],
    ["!platform=web", "*"],
    ["verb=mention", "*"],
  ])("reads the platform of %j as %j", (match, platform) => {
    expect(routePlatform(match)).toBe(platform);
  });

  it("lets operator overrides appended after the defaults win", () => {
    const rules = parseRules([...deriveRules({ folder: "team/dev", operatorGroup: null, routes: ROUTES }), "!send"]);
    expect(check(rules, "send", { platform: "discord" })).toEqual({ allowed: false, rule: "!send" });
  });

  it("narrows a delegated child by its parent's defaults", () => {
    const parent = grants(derived("team/dev"));
    const child = narrow(parent, parseRules(["*"]));
    expect(checkGrants(child, "delete_route", { platform: "discord" }).allowed).toBe(false);
    expect(checkGrants(child, "reply", { platform: "discord" }).allowed).toBe(true);
  });
});

describe("which tools a run lists", () => {
  const MEMBER = { sender_role: "member" };
  it.each<[string, string[], string, Record<string, string>, boolean]>([
    ["no rules list nothing", [], "send", MEMBER, false],
    ["a plain allow lists it", ["send"], "send", MEMBER, true],
    ["a rule on chat or platform keeps it listed", ["send(platform=telegram)"], "send", MEMBER, true],
    ["a later plain deny hides it", ["send(platform=telegram)", "!send"], "send", MEMBER, false],
    ["a later deny on one chat leaves the others", ["send", "!send(chat=telegram:1/2)"], "send", MEMBER, true],
    ["an allow after a plain deny lists it", ["!send", "send(platform=web)"], "send", MEMBER, true],
    ["an operator-only rule hides it from members", ["set_grants(sender_role=operator)"], "set_grants", MEMBER, false],
    ["an operator-only rule lists it for operators", ["set_grants(sender_role=operator)"], "set_grants", { sender_role: "operator" }, true],
    ["a deny for guests hides it from guests", ["*", "!register_group(sender_role=guest)"], "register_group", { sender_role: "guest" }, false],
    ["a deny for guests leaves members", ["*", "!register_group(sender_role=guest)"], "register_group", MEMBER, true],
    ["a rule requiring no role never matches", ["send(!sender_role)"], "send", MEMBER, false],
    ["an action glob lists its matches", ["inspect_*"], "inspect_session", MEMBER, true],
    ["an action glob leaves the rest", ["inspect_*"], "reset_session", MEMBER, false],
  ])("%s", (_name, rules, action, known, listed) => {
    expect(mayAllow(parseRules(rules), action, known)).toBe(listed);
  });

  it("lists a tool only when every layer could allow it", () => {
    const parent = grants(parseRules(["reply", "delegate_group"]));
    const child = parseRules(["send(platform=telegram)", "reply(platform=telegram)"]);
    expect(mayAllowGrants(narrow(parent, child), "reply", MEMBER)).toBe(true);
    expect(mayAllowGrants(narrow(parent, child), "send", MEMBER)).toBe(false);
    expect(mayAllowGrants(narrow(parent, child), "delegate_group", MEMBER)).toBe(false);
  });
});
