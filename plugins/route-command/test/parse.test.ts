import { describe, expect, it } from "vitest";
import { parseCommand, splitTopic } from "../src/parse.js";

describe("parseCommand", () => {
  it.each([
    ["/ping", { name: "ping", args: "" }],
    ["  /ping  ", { name: "ping", args: "" }],
    ["/new hello there", { name: "new", args: "hello there" }],
    ["/new #ops check\nthe logs", { name: "new", args: "#ops check\nthe logs" }],
    ["/ping@arizuko_bot", { name: "ping", args: "" }],
    ["/status@Arizuko_Bot now", { name: "status", args: "now" }],
    ["/my_cmd2 x", { name: "my_cmd2", args: "x" }],
  ])("reads %j", (text, parsed) => {
    expect(parseCommand(text)).toEqual(parsed);
  });

  it.each(["ping", "hello /ping", "/", "/Ping", "/9lives", "/ping@", "/ping@bot-name", "//ping", `/${"a".repeat(33)}`])("does not take %j for a command", (text) => {
    expect(parseCommand(text)).toBeNull();
  });
});

describe("splitTopic", () => {
  it.each([
    ["", { topic: null, text: "" }],
    ["start over", { topic: null, text: "start over" }],
    ["#ops", { topic: "ops", text: "" }],
    ["#ops check the logs", { topic: "ops", text: "check the logs" }],
    ["# ops", { topic: null, text: "# ops" }],
    ["text #ops", { topic: null, text: "text #ops" }],
  ])("splits %j", (args, split) => {
    expect(splitTopic(args)).toEqual(split);
  });
});
