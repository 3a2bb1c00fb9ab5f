import { describe, expect, it } from "vitest";
import { parsePrefix } from "../src/parse.js";

describe("parsePrefix", () => {
  it.each([
    ["@research find sources", { kind: "child", name: "research", text: "find sources" }],
    ["  @research   find sources  ", { kind: "child", name: "research", text: "find sources" }],
    ["@research line one\nline two", { kind: "child", name: "research", text: "line one\nline two" }],
    ["@a_b-c x", { kind: "child", name: "a_b-c", text: "x" }],
    ["#ops deploy now", { kind: "topic", name: "ops", text: "deploy now" }],
    ["#release-2.1 notes", { kind: "topic", name: "release-2.1", text: "notes" }],
  ])("reads %j", (text, prefix) => {
    expect(parsePrefix(text)).toEqual(prefix);
  });

  it.each([
    "mail@example.com is my address",
    "write to mail@example.com",
    "@research",
    "@research   ",
    "@Research find",
    "@main/research find",
    "#ops",
    "# ops deploy",
    "see #ops later",
    "",
  ])("finds no prefix in %j", (text) => {
    expect(parsePrefix(text)).toBeNull();
  });
});
