import { describe, it, expect } from "vitest";
import { joinChunks, splitText } from "../src/split.js";

const FAMILY = "👨‍👩‍👧";
const FLAG = "🇺🇦";
const PARTY = "🎉";
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;
const MIN_RANDOM_LENGTH = 5000;
const MAX_RANDOM_LENGTH = 20_000;

function endsInHighSurrogate(chunk: string): boolean {
  const code = chunk.charCodeAt(chunk.length - 1);
  return code >= 0xd800 && code <= 0xdbff;
}

function startsWithLowSurrogate(chunk: string): boolean {
  const code = chunk.charCodeAt(0);
  return code >= 0xdc00 && code <= 0xdfff;
}

function isSingleCodePoint(chunk: string): boolean {
  return [...chunk].length === 1;
}

function countFenceLines(chunk: string): number {
  return chunk.split("\n").filter((line) => FENCE_LINE.test(line)).length;
}

/** Offsets in the original text where each chunk after the first begins. */
function cutOffsets(chunks: string[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const chunk of chunks.slice(0, -1)) {
    offset += chunk.length;
    offsets.push(offset);
  }
  return offsets;
}

/** Agent reply with one fenced block of 150 padding lines, about 4300 code units in all. */
function fencedReply(opener: string): string {
  const lines = Array.from({ length: 150 }, (_, index) => `const v_${index + 1} = ${index + 1}; // padding`);
  return `Here:\n${opener}\n${lines.join("\n")}\n\`\`\`\nDone.`;
}

interface ChunkStart {
  insideBlock: boolean;
  reopened: boolean;
}

/**
 * Walks the chunks of a text that holds one fenced block opened by `opener`, peeling the
 * re-opener and the "\n```" closer where the test expects them, independently of joinChunks.
 */
function walkFencedChunks(text: string, chunks: string[], opener: string, reopener: string): ChunkStart[] {
  const contentStart = text.indexOf(`${opener}\n`) + opener.length + 1;
  const closerStart = text.lastIndexOf("\n```") + 1;
  const starts: ChunkStart[] = [];
  let offset = 0;

  for (const chunk of chunks) {
    const insideBlock = offset > contentStart && offset < closerStart;
    const reopened = insideBlock && chunk.startsWith(reopener);
    let body = reopened ? chunk.slice(reopener.length) : chunk;
    if (body.endsWith("\n```") && !text.startsWith(body, offset)) body = body.slice(0, -4);

    expect(text.startsWith(body, offset), `chunk at offset ${offset} is original text`).toBe(true);
    starts.push({ insideBlock, reopened });
    offset += body.length;
  }
  return starts;
}

/** Seeded PRNG (mulberry32) so that a failing property case can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function randomWord(random: () => number): string {
  const length = random() < 0.01 ? randomInt(random, 100, 3000) : randomInt(random, 1, 12);
  return Array.from({ length }, () => String.fromCharCode(randomInt(random, 97, 122))).join("");
}

function randomPiece(random: () => number): string {
  const pieces = [" ", " ", "\n", "\n\n", FAMILY, FLAG, PARTY, "שלום", "مرحبا", "漢字とかな"];
  return random() < 0.4 ? randomWord(random) : (pieces[randomInt(random, 0, pieces.length - 1)] ?? " ");
}

interface RandomText {
  text: string;
  /** Per offset, the length of the ZWJ sequence or flag the offset falls inside, else 0. */
  clusterInterior: Uint16Array;
}

function randomText(random: () => number): RandomText {
  const target = randomInt(random, MIN_RANDOM_LENGTH, MAX_RANDOM_LENGTH);
  const parts: string[] = [];
  const clusters: Array<{ start: number; length: number }> = [];
  let length = 0;

  while (length < target) {
    const piece = randomPiece(random);
    if (length + piece.length > MAX_RANDOM_LENGTH) continue;
    if (piece === FAMILY || piece === FLAG) clusters.push({ start: length, length: piece.length });
    parts.push(piece);
    length += piece.length;
  }

  const text = parts.join("");
  const clusterInterior = new Uint16Array(text.length + 1);
  for (const cluster of clusters) clusterInterior.fill(cluster.length, cluster.start + 1, cluster.start + cluster.length);
  return { text, clusterInterior };
}

function randomFencedText(random: () => number): string {
  const parts: string[] = [];
  const target = randomInt(random, MIN_RANDOM_LENGTH, MAX_RANDOM_LENGTH);
  let length = 0;

  while (length < target) {
    const marker = random() < 0.5 ? "```" : "~~~~";
    const info = random() < 0.5 ? "" : randomWord(random).slice(0, 10);
    const body = Array.from({ length: randomInt(random, 1, 80) }, () => randomPiece(random)).join("");
    const block = random() < 0.5 ? `${marker}${info}\n${body}\n${marker}\n` : `${body}\n`;
    parts.push(block);
    length += block.length;
  }
  return parts.join("");
}

describe("splitText", () => {
  describe("limit validation", () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects limit %s", (limit) => {
      expect(() => splitText("text", limit)).toThrow(expect.objectContaining({ code: "ARZ_ERR_SPLIT_LIMIT" }));
      expect(() => splitText("text", limit)).toThrow(String(limit));
    });
  });

  describe("basic cases", () => {
    it.each([
      { name: "empty text", text: "", limit: 5, expected: [] },
      { name: "text below the limit", text: "abc", limit: 5, expected: ["abc"] },
      { name: "text exactly at the limit", text: "abcde", limit: 5, expected: ["abcde"] },
      { name: "text one over the limit", text: "abcdef", limit: 5, expected: ["abcde", "f"] },
    ])("handles $name", ({ text, limit, expected }) => {
      expect(splitText(text, limit)).toEqual(expected);
    });
  });

  describe("break points", () => {
    it.each([
      { name: "paragraph break over line break", limit: 20, text: "alpha beta\n\ngamma\ndelta epsilon", first: "alpha beta\n\n" },
      { name: "line break over space", limit: 24, text: "alpha beta gamma\ndelta epsilon zeta", first: "alpha beta gamma\n" },
      { name: "space over hard cut", limit: 14, text: "alpha beta gamma delta", first: "alpha beta " },
      { name: "hard cut over early space", limit: 10, text: "ab cdefghijklmnop", first: "ab cdefghi" },
      { name: "hard cut over no-break space", limit: 10, text: "alpha\u00a0betagammadelta", first: "alpha\u00a0beta" },
      { name: "hard cut over marked space", limit: 10, text: "aaaaaa \u0301bbbbbb", first: "aaaaaa \u0301bb" },
      { name: "paragraph break in CRLF", limit: 20, text: "alpha beta\r\n\r\ngamma\r\ndelta", first: "alpha beta\r\n\r\n" },
    ])("prefers $name", ({ text, limit, first }) => {
      const chunks = splitText(text, limit);

      expect(chunks[0]).toBe(first);
      expect(chunks.join("")).toBe(text);
    });

    it("never cuts inside CRLF", () => {
      const chunks = splitText("abcd\r\nefgh", 5);

      expect(chunks).toEqual(["abcd", "\r\nefg", "h"]);
    });
  });

  describe("grapheme clusters", () => {
    it("keeps ZWJ family whole", () => {
      expect(splitText(`ab${FAMILY}cd`, 8)).toEqual(["ab", FAMILY, "cd"]);
    });

    it("keeps flag whole", () => {
      expect(splitText(`${FLAG}${FLAG}`, 6)).toEqual([FLAG, FLAG]);
    });

    it("cuts oversized cluster between code points", () => {
      expect(splitText(FAMILY, 3)).toEqual(["👨\u200d", "👩\u200d", "👧"]);
    });

    it("emits astral code point whole at limit 1", () => {
      expect(splitText(FAMILY, 1)).toEqual(["👨", "\u200d", "👩", "\u200d", "👧"]);
    });
  });

  describe("surrogate pair at the cut", () => {
    const text = `${"x".repeat(4095)}${PARTY} done`;
    const chunks = splitText(text, 4096);

    it("joins back to the input", () => {
      expect(chunks.join("")).toBe(text);
    });

    it("ends no chunk in high surrogate", () => {
      expect(chunks.filter(endsInHighSurrogate)).toEqual([]);
    });

    it("starts no chunk with low surrogate", () => {
      expect(chunks.filter(startsWithLowSurrogate)).toEqual([]);
    });

    it("keeps every chunk within 4096", () => {
      expect(chunks.filter((chunk) => chunk.length > 4096)).toEqual([]);
    });

    it("gives one code point per chunk at limit 1", () => {
      expect(splitText(`${PARTY}${PARTY}`, 1)).toEqual([PARTY, PARTY]);
    });
  });

  describe("random mixed-script texts", () => {
    const random = mulberry32(0xa121_2024);
    const cases = Array.from({ length: 200 }, (_, index) => ({
      index,
      limits: [randomInt(random, 1, 4096), randomInt(random, 1, 16), 4096, 2000],
      ...randomText(random),
    }));

    it.each(cases)("keeps invariants for text $index", ({ index, limits, text, clusterInterior }) => {
      expect(text.length).toBeGreaterThanOrEqual(MIN_RANDOM_LENGTH);
      expect(text.length).toBeLessThanOrEqual(MAX_RANDOM_LENGTH);

      for (const limit of limits) {
        const label = `text ${index}, limit ${limit}`;
        const chunks = splitText(text, limit, { fences: false });
        const oversized = chunks.filter(
          (chunk) => chunk.length > limit && !(limit === 1 && chunk.length === 2 && isSingleCodePoint(chunk)),
        );
        const splitClusters = cutOffsets(chunks).filter((offset) => {
          const clusterLength = clusterInterior[offset] ?? 0;
          return clusterLength > 0 && clusterLength <= limit;
        });

        expect(chunks.join("") === text, `${label}: join equals input`).toBe(true);
        expect(chunks.filter((chunk) => chunk.length === 0), `${label}: empty chunks`).toEqual([]);
        expect(oversized, `${label}: chunks over the limit`).toEqual([]);
        expect(chunks.filter(endsInHighSurrogate), `${label}: chunks ending in a high surrogate`).toEqual([]);
        expect(chunks.filter(startsWithLowSurrogate), `${label}: chunks starting with a low surrogate`).toEqual([]);
        expect(splitClusters, `${label}: cuts inside a ZWJ sequence or flag`).toEqual([]);
      }
    });
  });

  describe("fenced code block reply", () => {
    const text = fencedReply("```ts");
    const chunks = splitText(text, 2000);

    it("keeps every chunk within 2000", () => {
      expect(chunks.filter((chunk) => chunk.length > 2000)).toEqual([]);
    });

    it("needs more than one chunk", () => {
      expect(chunks.length).toBeGreaterThan(1);
    });

    it("balances fence lines per chunk", () => {
      expect(chunks.map(countFenceLines).filter((count) => count % 2 !== 0)).toEqual([]);
    });

    it("reopens block in continuation chunks", () => {
      const starts = walkFencedChunks(text, chunks, "```ts", "```ts\n");
      const continuations = starts.filter((start) => start.insideBlock);

      expect(continuations.length).toBeGreaterThan(0);
      expect(continuations.filter((start) => !start.reopened)).toEqual([]);
    });

    it("round-trips through joinChunks", () => {
      expect(joinChunks(chunks)).toBe(text);
    });

    it("joins unchanged without fences", () => {
      expect(splitText(text, 2000, { fences: false }).join("")).toBe(text);
    });

    it.each(Array.from({ length: 11 }, (_, index) => 1990 + index))("fits block line of %i units", (lineLength) => {
      const sweepText = `Intro\n\`\`\`ts\n${"y".repeat(lineLength)}\n\`\`\`\nOutro`;
      const sweepChunks = splitText(sweepText, 2000);
      const continuations = walkFencedChunks(sweepText, sweepChunks, "```ts", "```ts\n").filter((start) => start.insideBlock);

      expect(sweepChunks.filter((chunk) => chunk.length > 2000)).toEqual([]);
      expect(sweepChunks.map(countFenceLines).filter((count) => count % 2 !== 0)).toEqual([]);
      expect(continuations.filter((start) => !start.reopened)).toEqual([]);
      expect(joinChunks(sweepChunks)).toBe(sweepText);
    });

    it("repeats 60-character info string", () => {
      const opener = `\`\`\`ts title="${"p".repeat(49)}"`;
      const longText = fencedReply(opener);
      const longChunks = splitText(longText, 2000);
      const continuations = walkFencedChunks(longText, longChunks, opener, `${opener}\n`).filter((start) => start.insideBlock);

      expect(opener.length - 3).toBe(60);
      expect(longChunks.filter((chunk) => chunk.length > 2000)).toEqual([]);
      expect(continuations.filter((start) => !start.reopened)).toEqual([]);
      expect(joinChunks(longChunks)).toBe(longText);
    });
  });

  describe("fence variants", () => {
    it("drops info string when room is short", () => {
      const opener = `\`\`\`${"i".repeat(80)}`;
      const text = fencedReply(opener);
      const chunks = splitText(text, 120);
      const continuations = walkFencedChunks(text, chunks, opener, "```\n").filter((start) => start.insideBlock);

      expect(chunks.filter((chunk) => chunk.length > 120)).toEqual([]);
      expect(continuations.filter((start) => !start.reopened)).toEqual([]);
      expect(joinChunks(chunks)).toBe(text);
    });

    it("reopens tilde fence with its marker", () => {
      const text = `~~~~md\n${"word ".repeat(40)}\n~~~~\n`;
      const chunks = splitText(text, 80);

      expect(chunks.slice(1).filter((chunk) => !chunk.startsWith("~~~~md\n"))).toEqual([]);
      expect(joinChunks(chunks)).toBe(text);
    });

    it("treats shorter inner fence as content", () => {
      const inner = "```\nnot a closer\n```\n".repeat(8);
      const text = `\`\`\`\`md\n${inner}\`\`\`\`\nafter`;
      const chunks = splitText(text, 60);

      expect(chunks.filter((chunk) => chunk.length > 60)).toEqual([]);
      expect(joinChunks(chunks)).toBe(text);
    });

    it("throws when markers cannot fit", () => {
      expect(() => splitText("```ts\nconst a = 1;\n```", 8)).toThrow(
        expect.objectContaining({ code: "ARZ_ERR_SPLIT_LIMIT" }),
      );
    });

    it("splits tiny limit without fences", () => {
      const text = "```ts\nconst a = 1;\n```";

      expect(splitText(text, 8, { fences: false }).join("")).toBe(text);
    });

    it.each([
      { name: "backtick line after a block", text: "```\ncode\n```\n```a`b tail text here\n" },
      { name: "info-string lines inside a block", text: "```ts\nlet a = 1;\n```ts inside\n``````ts\nmore\n```\nend" },
      { name: "indented fences", text: "  ```ts\nindented block line one\nline two\n  ```\nafter" },
      { name: "shorter fences inside a longer one", text: "````\n```\n```ts\n```\n````\n```\nreal block\n```" },
      { name: "unclosed block", text: "~~~ ~~~\ncontent ~~~\n~~~~~~\nafter\n```\nunclosed block runs to the end" },
    ])("round-trips $name at every limit", ({ text }) => {
      for (let limit = 1; limit <= 70; limit++) {
        let chunks: string[];
        try {
          chunks = splitText(text, limit);
        } catch (error) {
          expect(error, `limit ${limit}: error code`).toMatchObject({ code: "ARZ_ERR_SPLIT_LIMIT" });
          continue;
        }

        expect(joinChunks(chunks), `limit ${limit}: joinChunks equals input`).toBe(text);
        expect(
          chunks.filter((chunk) => chunk.length > limit && !(limit === 1 && isSingleCodePoint(chunk))),
          `limit ${limit}: chunks over the limit`,
        ).toEqual([]);
      }
    });

    it("never emits empty block piece", () => {
      const text = `Intro\n\`\`\`ts\n${"const a = 1;\n".repeat(30)}\`\`\`\nDone.`;
      const emptyPiece = /(^|\n)```ts\n\n?```(\n|$)/;

      for (let limit = 20; limit <= 200; limit++) {
        const chunks = splitText(text, limit);

        expect(chunks.filter((chunk) => emptyPiece.test(chunk)), `limit ${limit}: empty block pieces`).toEqual([]);
      }
    });

    it("keeps closer-like text before plain chunk", () => {
      const text = "```\ncode\n```\n```a`b";

      expect(joinChunks(["```\ncode\n```\n```", "a`b"])).toBe(text);
    });

    it("round-trips random fenced texts", () => {
      const random = mulberry32(0xfe7ce);

      for (let index = 0; index < 50; index++) {
        const text = randomFencedText(random);
        const limit = randomInt(random, 64, 4096);
        const chunks = splitText(text, limit);
        const label = `text ${index}, limit ${limit}`;

        expect(joinChunks(chunks) === text, `${label}: joinChunks equals input`).toBe(true);
        expect(chunks.filter((chunk) => chunk.length > limit), `${label}: chunks over the limit`).toEqual([]);
        expect(chunks.filter((chunk) => countFenceLines(chunk) % 2 !== 0), `${label}: unbalanced chunks`).toEqual([]);
      }
    });
  });
});
