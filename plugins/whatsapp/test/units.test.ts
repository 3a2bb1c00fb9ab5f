/**
 * The plugin's pure parts: Markdown to WhatsApp formatting, reading Baileys messages
 * (edits wrapped or not, revokes, reactions, other content), the close policy and its
 * backoff, and sealing at rest.
 */
import { generateWAMessageFromContent, proto, type WAMessage } from "baileys";
import { describe, expect, it } from "vitest";
import { toWhatsApp } from "../src/format.js";
import { readMessage, verbOf } from "../src/normalise.js";
import { backoffMs, onClose } from "../src/reconnect.js";
import { SealBroken, sealerFor } from "../src/sealed.js";

const message = (content: proto.IMessage): WAMessage => generateWAMessageFromContent("120363000000000001@g.us", content, { userJid: "491700000002@s.whatsapp.net", messageId: "M1" });
const EDIT = proto.Message.ProtocolMessage.Type.MESSAGE_EDIT;

describe("toWhatsApp", () => {
  it.each([
    ["**bold** and __bold__", "*bold* and *bold*"],
    ["*italic* and _italic_", "_italic_ and _italic_"],
    ["~~gone~~", "~gone~"],
    ["# Title\ntext", "*Title*\ntext"],
    ["see [the docs](https://example.org/docs)", "see the docs (https://example.org/docs)"],
    ["`**kept**` and\n```\n**kept too**\n```", "`**kept**` and\n```\n**kept too**\n```"],
    ["2 * 3 * 4 and snake_case_name", "2 * 3 * 4 and snake_case_name"],
    ["- one\n- two", "- one\n- two"],
  ])("%j → %j", (markdown, expected) => {
    expect(toWhatsApp(markdown)).toBe(expected);
  });
});

describe("readMessage", () => {
  it("reads an edit, also wrapped in editedMessage, as text for its target", () => {
    const edit = { protocolMessage: { type: EDIT, key: { id: "T1" }, editedMessage: { conversation: "fixed" } } };
    expect(readMessage(message(edit))).toEqual({ kind: "edit", target: "T1", text: "fixed" });
    expect(readMessage(message({ editedMessage: { message: edit } }))).toEqual({ kind: "edit", target: "T1", text: "fixed" });
    const caption = { protocolMessage: { type: EDIT, key: { id: "T2" }, editedMessage: { imageMessage: { caption: "new caption" } } } };
    expect(readMessage(message(caption))).toEqual({ kind: "edit", target: "T2", text: "new caption" });
  });

  it("reads revokes, reactions and other content, and skips key shares", () => {
    expect(readMessage(message({ protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: "T3" } } }))).toEqual({ kind: "revoke", target: "T3" });
    expect(readMessage(message({ reactionMessage: { key: { id: "T4" }, text: "👍" } }))).toEqual({ kind: "reaction", target: "T4", emoji: "👍" });
    expect(readMessage(message({ locationMessage: { degreesLatitude: 52.5, degreesLongitude: 13.4, name: "Berlin" } }))).toMatchObject({ text: "[location 52.5,13.4 Berlin]" });
    expect(readMessage(message({ ephemeralMessage: { message: { conversation: "wrapped" } } }))).toMatchObject({ kind: "message", text: "wrapped" });
    expect(readMessage(message({ senderKeyDistributionMessage: { groupId: "g" } }))).toBeNull();
    expect(readMessage({ key: { id: "S1", remoteJid: "x@g.us" }, messageStubType: 2 } as WAMessage)).toBeNull();
  });

  it("verbs for PN and LID", () => {
    const me = { pn: "491700000001@s.whatsapp.net", lid: "100000000000001@lid" };
    expect(verbOf(me, { mentionedJid: ["100000000000001:7@lid"] }, false)).toBe("mention");
    expect(verbOf(me, { mentionedJid: ["491700000009@s.whatsapp.net"] }, false)).toBe("message");
    expect(verbOf(me, { stanzaId: "X", participant: "491700000001:7@s.whatsapp.net" }, false)).toBe("reply");
    expect(verbOf(me, null, true)).toBe("mention");
  });
});

describe("onClose", () => {
  it("reconnects on all but logout", () => {
    expect(onClose(401, "x").action).toBe("logged-out");
    for (const code of [403, 440, 411]) expect(onClose(code, "x")).toMatchObject({ action: "reconnect", delay: "longest" });
    expect(onClose(515, "x")).toMatchObject({ action: "reconnect", delay: "now" });
    for (const code of [408, 428, 500, 503, null]) expect(onClose(code, "x")).toMatchObject({ action: "reconnect", delay: "backoff" });
  });

  it("doubles the wait up to the cap, with jitter below it", () => {
    expect([0, 1, 2, 3, 10].map((attempt) => backoffMs(attempt, 1000, 60_000, () => 0))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(backoffMs(2, 1000, 60_000, () => 1)).toBe(3200);
  });
});

describe("sealing", () => {
  it("opens only under the same key and for the same row", () => {
    const sealed = sealerFor("k".repeat(32), "491700000001").seal("secret creds", "491700000001/creds/");
    expect(sealed.includes(Buffer.from("secret creds"))).toBe(false);
    expect(sealerFor("k".repeat(32), "491700000001").open(sealed, "491700000001/creds/")).toBe("secret creds");
    expect(() => sealerFor("j".repeat(32), "491700000001").open(sealed, "491700000001/creds/")).toThrow(SealBroken);
    expect(() => sealerFor("k".repeat(32), "491700000001").open(sealed, "491700000001/session/x")).toThrow(SealBroken);
  });
});
