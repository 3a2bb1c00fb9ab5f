/** The pure parts of the media enricher: file name cleaning and the address ranges URL downloads may reach. */
import { describe, expect, it } from "vitest";
import { blockedRange } from "../src/address-guard.js";
import { MAX_NAME_BYTES, safeFileName } from "../src/safe-name.js";
import { whisperExtension } from "../src/transcribe.js";

describe("safeFileName", () => {
  it.each([
    ["report.pdf", "report.pdf"],
    ["../../etc/passwd", "_.._etc_passwd"],
    ["..\\..\\boot.ini", "_.._boot.ini"],
    ["a/b", "a_b"],
    ["con", "_con"],
    ["Lpt1.log", "_Lpt1.log"],
    ["nul.tar.gz", "_nul.tar.gz"],
    ["console.txt", "console.txt"],
    ["..", "file"],
    ["", "file"],
    ["   ", "file"],
    [".env", "env"],
    ["name. ", "name"],
    ["tab\there\nnewline", "tab here newline"],
    ["\u202Etxt.exe", "txt.exe"],
    ["photo\u200F.jpg", "photo.jpg"],
    ["why?<>:|*.txt", "why______.txt"],
    ["Привет мир.ogg", "Привет мир.ogg"],
    ["日本語のファイル.pdf", "日本語のファイル.pdf"],
    ["🎉🎂.png", "🎉🎂.png"],
    ["e\u0301te\u0301.txt", "été.txt"],
  ])("cleans %j to %j", (name, expected) => {
    expect(safeFileName(name)).toBe(expected);
  });

  it("cuts long names at character boundaries", () => {
    const latin = safeFileName(`${"a".repeat(500)}.mp3`);
    expect(latin).toBe(`${"a".repeat(MAX_NAME_BYTES - 4)}.mp3`);
    const emoji = safeFileName(`${"😀".repeat(100)}.png`);
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(emoji).toBe(`${"😀".repeat(24)}.png`);
    expect(safeFileName("x".repeat(200) + ".averyveryverylongextension")).toBe("x".repeat(100));
  });
});

describe("blockedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["::1", "loopback"],
    ["fe80::1", "linkLocal"],
    ["fd00:ec2::254", "uniqueLocal"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::", "unspecified"],
  ])("refuses %s (%s)", (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each(["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])("lets %s through", (address) => {
    expect(blockedRange(address)).toBeNull();
  });
});

describe("whisperExtension", () => {
  it.each([
    ["audio/ogg", "ogg"],
    ["audio/ogg; codecs=opus", "ogg"],
    ["audio/opus", "opus"],
    ["audio/mpeg", "mp3"],
    ["audio/x-m4a", "m4a"],
    ["audio/mp4", "m4a"],
    ["audio/wav", "wav"],
    ["audio/webm", "webm"],
    ["video/webm", "webm"],
    ["image/png", null],
    ["application/ogg", null],
  ])("uploads %s as %s", (mime, extension) => {
    expect(whisperExtension(mime)).toBe(extension);
  });
});
