import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchMessage } from "@arizuko/sdk";
import { DEMO_MARK, demoReply, fileLines, personaLine } from "../src/harnesses/demo.js";

const NO_PERSONA = "(this group has no PERSONA.md)";

let root: string;
let folderCount = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "arizuko-demo-"));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Creates a group folder whose PERSONA.md contains `persona`. */
function groupWithPersona(persona: string): string {
  const folder = join(root, `group-${folderCount++}`);
  mkdirSync(folder);
  writeFileSync(join(folder, "PERSONA.md"), persona);
  return folder;
}

describe("personaLine", () => {
  it("reports a missing PERSONA.md", () => {
    expect(personaLine(join(root, "no-such-group"))).toBe(NO_PERSONA);
  });

  it("reports an empty PERSONA.md", () => {
    expect(personaLine(groupWithPersona(""))).toBe(NO_PERSONA);
  });

  it("reports a blank PERSONA.md", () => {
    expect(personaLine(groupWithPersona("\n   \n\t\n"))).toBe(NO_PERSONA);
  });

  it.each([
    ["plain first line", "Support bot for Acme.\nMore text", "Support bot for Acme."],
    ["level-one heading", "# Support bot\nbody", "Support bot"],
    ["level-three heading", "### Support bot", "Support bot"],
    ["heading without a space", "#Support bot", "Support bot"],
    ["leading blank lines", "\n\n   \nFirst line\nSecond line", "First line"],
    ["CRLF line endings", "\r\n# Title\r\nbody\r\n", "Title"],
    ["surrounding spaces", "   Hello there   \n", "Hello there"],
    ["hash inside the line", "Call #support first", "Call #support first"],
  ])("reads the %s", (_case, persona, expected) => {
    expect(personaLine(groupWithPersona(persona))).toBe(expected);
  });
});

describe("fileLines", () => {
  it("lists each file with its path and transcript or problem", () => {
    const message = (files: BatchMessage["files"]): BatchMessage => ({ id: "m", seq: 1, sender: "web:v_1", sender_name: null, text: "", kind: "message", from_agent: false, reply_to: null, time: "", notes: [], files });
    expect(
      fileLines([
        message([
          { name: "voice.oga", mime: "audio/ogg", size: 9000, path: "media/20261205/1-1-voice.oga", transcript: "see you at six" },
          { name: "big.pdf", mime: "application/pdf", size: 50_000_000, path: null, error: "the file is 47.7 MiB, larger than the 20 MiB limit; it was not downloaded" },
        ]),
        message(undefined),
      ]),
    ).toEqual([
      'File voice.oga (audio/ogg): stored at media/20261205/1-1-voice.oga; heard: "see you at six"',
      "File big.pdf (application/pdf): not stored; the file is 47.7 MiB, larger than the 20 MiB limit; it was not downloaded",
    ]);
  });
});

describe("demoReply", () => {
  it("marks the reply as a demo", () => {
    expect(demoReply("I am Ann.", ["hi"])).toBe(`${DEMO_MARK} I am Ann. You said: hi`);
  });

  it("uses the [demo] mark", () => {
    expect(DEMO_MARK).toBe("[demo]");
  });

  it("joins a batch with slashes", () => {
    expect(demoReply("P", ["one", "two", "three"])).toBe("[demo] P You said: one / two / three");
  });

  it.each([
    ["empty", ""],
    ["whitespace-only", "  \n "],
  ])("names %s text as no text", (_case, text) => {
    expect(demoReply("P", ["first", text])).toBe("[demo] P You said: first / (no text)");
  });

  it("keeps the user's text verbatim", () => {
    expect(demoReply("P", ["  spaced <b>markup</b>  "])).toBe("[demo] P You said:   spaced <b>markup</b>  ");
  });
});
