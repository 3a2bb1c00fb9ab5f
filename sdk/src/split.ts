import { ArizukoError } from "./errors.js";

/** Options for {@link splitText}. */
export interface SplitOptions {
  /** Whether a cut inside a fenced code block closes it and re-opens it in the next chunk (default true). */
  fences?: boolean;
}

/** Earliest share of a chunk's room where a preferred break is taken, since an earlier one multiplies the messages. */
const MIN_BREAK_FRACTION = 0.5;

/**
 * Minimum share of the limit left for text when a re-opener repeats the info string. Below it
 * the info string, which only sets the highlighting, is dropped.
 */
const MIN_TEXT_FRACTION_WITH_INFO = 0.5;

/** Fence lines as CommonMark 0.31.2 defines them: up to 3 spaces, then 3 or more backticks or tildes. */
const FENCE_OPENER = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSER = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/** Unicode White_Space except the no-break spaces U+00A0, U+2007 and U+202F, where a line must not break. */
const BREAKING_SPACE = /[\t-\r \u0085\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** An open fenced code block: its marker run and the info string after it. */
interface Fence {
  marker: string;
  info: string;
}

/** Position of a fenced code block in the text, in UTF-16 offsets. */
interface FenceSpan {
  fence: Fence;
  /** Offset just after the opener line's line feed. */
  contentStart: number;
  /** Offset of the closer line's end, or Infinity for a block left open. */
  closerLineEnd: number;
}

/** The text with its segmentation and fenced blocks, computed once per call. */
interface Layout {
  text: string;
  limit: number;
  /** Segmentation of the whole text. Its `containing()` works near the offset and does not rescan from the start. */
  segments: Intl.Segments;
  /** 1 at each offset where a fence rule bars a cut. */
  barred: Uint8Array;
  fences: FenceSpan[];
}

/** A chunk: the added re-opener, the end offset of the original text it carries, and the added closer. */
type PlannedChunk = { head: string; end: number; tail: string };

/** Tracks the open fenced code block of Markdown read line by line. */
class FenceReader {
  open: Fence | undefined;
  private partialLine = "";

  /** Reads more text; a line changes the state only once its line feed has arrived. */
  feed(text: string): void {
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      this.readLine(this.partialLine + text.slice(start, newline));
      this.partialLine = "";
      start = newline + 1;
    }

    this.partialLine += text.slice(start);
  }

  /** Classifies one complete line, given without its line feed, and updates the open fence. */
  readLine(line: string): "opener" | "closer" | "content" {
    const body = line.endsWith("\r") ? line.slice(0, -1) : line;

    if (this.open === undefined) {
      const [, marker, info = ""] = FENCE_OPENER.exec(body) ?? [];
      if (marker === undefined || (marker.startsWith("`") && info.includes("`"))) return "content";
      this.open = { marker, info };
      return "opener";
    }

    const marker = FENCE_CLOSER.exec(body)?.[1] ?? "";
    const closes = marker.startsWith(this.open.marker);
    if (!closes) return "content";
    this.open = undefined;
    return "closer";
  }
}

/**
 * Splits Markdown `text` into chunks of at most `limit` UTF-16 code units (JavaScript string
 * length) each, for platforms that cap the length of a message.
 *
 * A cut never falls inside a surrogate pair, nor inside a grapheme cluster such as 👨‍👩‍👧 or 🇺🇦
 * that fits the limit. A longer cluster is cut between code points. In the second half of a
 * chunk's room the cut goes after the last paragraph break, else the last line break, else the
 * last breaking space, so that break ends the chunk. Without one the chunk is filled up.
 *
 * With `fences` on, a cut inside a fenced code block ends the chunk with a line feed and the
 * fence marker, and starts the next chunk with the marker, the info string and a line feed.
 * The info string is left out when it would leave less than half the limit for text. These
 * markers count toward the limit, and {@link joinChunks} removes them. With `fences: false`,
 * `chunks.join("")` equals `text`.
 *
 * The one exception to the limit: with `limit` 1, a code point of two code units (such as 🎉)
 * forms a chunk of length 2, because cutting it would corrupt the text. Lone surrogates in
 * malformed text are kept and may start or end a chunk.
 *
 * @returns `[]` for empty text, and `[text]` when it fits.
 * @throws ArizukoError `ARZ_ERR_SPLIT_LIMIT` when `limit` is not an integer of at least 1, or
 *   when `fences` is on and the limit is too small for a whole fence line, or for the added
 *   markers plus one code point.
 */
export function splitText(text: string, limit: number, options: SplitOptions = {}): string[] {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ArizukoError("ARZ_ERR_SPLIT_LIMIT", `invalid split limit ${limit}: expected an integer of at least 1`);
  }
  if (text.length === 0) return [];
  if (text.length <= limit) return [text];

  const barred = new Uint8Array(text.length + 1);
  const fences = options.fences === false ? [] : findFences(text, barred);
  const layout: Layout = { text, limit, segments: graphemes.segment(text), barred, fences };

  const chunks: string[] = [];
  for (let start = 0; start < text.length; ) {
    const { head, end, tail } = planChunk(layout, start);
    chunks.push(head + text.slice(start, end) + tail);
    start = end;
  }
  return chunks;
}

/**
 * Joins chunks from {@link splitText} with `fences` on back into the original text, removing
 * the fence closers and re-openers it added. For chunks split with `fences: false`, use
 * `chunks.join("")`.
 */
export function joinChunks(chunks: readonly string[]): string {
  const reader = new FenceReader();
  const parts: string[] = [];
  let reopened: Fence | undefined;

  chunks.forEach((chunk, index) => {
    const rest = reopened === undefined ? chunk : chunk.slice(reopenerAt(chunk, reopened)?.length ?? 0);
    const lastLineFeed = rest.lastIndexOf("\n");
    const body = lastLineFeed === -1 ? rest : rest.slice(0, lastLineFeed);
    reader.feed(body);

    // Original text cannot look like both an added closer and the next chunk's re-opener, because
    // the two would form one fence line across the cut, and splitText never cuts inside a fence line.
    const open = reader.open;
    const next = chunks[index + 1];
    const closed = open !== undefined && next !== undefined && rest.slice(body.length) === closerFor(open);
    reopened = closed && reopenerAt(next, open) !== undefined ? open : undefined;

    if (reopened === undefined) reader.feed(rest.slice(body.length));
    parts.push(reopened === undefined ? rest : body);
  });

  return parts.join("");
}

/**
 * Finds the fenced code blocks and marks their fence lines uncuttable. A cut right after the
 * opener line or right before the closer line is barred too, because it would leave an empty block.
 */
function findFences(text: string, barred: Uint8Array): FenceSpan[] {
  const reader = new FenceReader();
  const spans: FenceSpan[] = [];

  for (let lineStart = 0; ; ) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const kind = reader.readLine(text.slice(lineStart, lineEnd));

    if (kind === "opener") {
      barred.fill(1, lineStart + 1, lineEnd + 2);
      if (reader.open !== undefined && newline !== -1) {
        spans.push({ fence: reader.open, contentStart: newline + 1, closerLineEnd: Infinity });
      }
    }

    const lastSpan = spans.at(-1);
    if (kind === "closer" && lastSpan !== undefined) {
      barred.fill(1, lineStart, lineEnd + 1);
      lastSpan.closerLineEnd = lineEnd;
    }

    if (newline === -1) return spans;
    lineStart = newline + 1;
  }
}

/** Plans the chunk that starts at `start`, reserving room for any fence markers it needs. */
function planChunk(layout: Layout, start: number): PlannedChunk {
  const { text, limit, fences } = layout;
  const reopened = fenceOpenAt(fences, start);
  const head = reopened === undefined ? "" : reopenerFor(reopened, limit);
  if (text.length - start <= limit - head.length) return { head, end: text.length, tail: "" };

  for (let reserve = 0; ; ) {
    const end = chooseCut(layout, start, limit - head.length - reserve, head.length + reserve > 0);
    const closing = fenceOpenAt(fences, end);
    const tail = closing === undefined ? "" : closerFor(closing);
    if (tail.length <= reserve) return { head, end, tail };
    reserve = tail.length;
  }
}

/** Chooses where the chunk starting at `start` ends, given `room` code units for original text. */
function chooseCut(layout: Layout, start: number, room: number, hasMarkers: boolean): number {
  const windowEnd = Math.min(start + room, layout.text.length);
  const earliestBreak = Math.max(start + 1, start + Math.ceil(room * MIN_BREAK_FRACTION));

  return (
    findNaturalBreak(layout, earliestBreak, windowEnd) ??
    findLastGraphemeCut(layout, start, windowEnd) ??
    findLastCodePointCut(layout, start, windowEnd) ??
    cutOversizedCodePoint(layout, start, hasMarkers)
  );
}

/**
 * Finds the last paragraph break between offsets `from` and `to` inclusive, else the last line
 * break, else the last breaking space.
 */
function findNaturalBreak(layout: Layout, from: number, to: number): number | undefined {
  let lineBreak: number | undefined;
  let space: number | undefined;

  for (let offset = to; offset >= from; offset--) {
    if (layout.barred[offset] === 1) continue;

    // A line feed always ends a grapheme cluster (UAX #29 rule GB4), but a space may carry combining marks.
    const kind = breakKindBefore(layout.text, offset);
    if (kind === "paragraph") return offset;
    if (kind === "line") lineBreak ??= offset;
    if (kind === "space" && space === undefined && clusterStartAt(layout, offset) === offset) space = offset;
  }
  return lineBreak ?? space;
}

function breakKindBefore(text: string, offset: number): "paragraph" | "line" | "space" | undefined {
  const last = text[offset - 1];
  if (last === "\n") {
    const blankLine = text[offset - 2] === "\n" || (text[offset - 2] === "\r" && text[offset - 3] === "\n");
    return blankLine ? "paragraph" : "line";
  }
  return last !== undefined && BREAKING_SPACE.test(last) ? "space" : undefined;
}

function findLastGraphemeCut(layout: Layout, start: number, end: number): number | undefined {
  for (let offset = end; offset > start; ) {
    if (layout.barred[offset] === 1) {
      offset--;
      continue;
    }

    const clusterStart = clusterStartAt(layout, offset);
    if (clusterStart === offset) return offset;
    offset = clusterStart;
  }
  return undefined;
}

function findLastCodePointCut({ text, barred }: Layout, start: number, end: number): number | undefined {
  for (let offset = end; offset > start; offset--) {
    const insideSurrogatePair = (text.codePointAt(offset - 1) ?? 0) > 0xffff;
    if (barred[offset] !== 1 && !insideSurrogatePair) return offset;
  }
  return undefined;
}

/** Returns the start of the grapheme cluster that contains the code unit at `offset`. */
function clusterStartAt({ text, segments }: Layout, offset: number): number {
  // Below U+0300 there are no combining marks, so UAX #29 joins no two such code points except CR LF (rule GB3).
  const before = text.charCodeAt(offset - 1);
  const after = text.charCodeAt(offset);
  if (before < 0x300 && after < 0x300 && !(before === 0x0d && after === 0x0a)) return offset;

  return segments.containing(offset)?.index ?? offset;
}

/**
 * Returns the end of the two-unit code point at `start` when the limit is 1 and no marker is
 * added, the one case where a chunk may exceed the limit. Otherwise no cut fits because of a
 * fence line or the added markers, so it throws.
 */
function cutOversizedCodePoint({ text, limit, barred }: Layout, start: number, hasMarkers: boolean): number {
  const end = start + ((text.codePointAt(start) ?? 0) > 0xffff ? 2 : 1);
  if (!hasMarkers && barred[end] !== 1) return end;

  throw new ArizukoError(
    "ARZ_ERR_SPLIT_LIMIT",
    `split limit ${limit} is too small to cut at offset ${start} without breaking a code fence line ` +
      "or its added markers. Raise the limit or pass { fences: false }.",
  );
}

/** Returns the fence open at `offset`: its opener line has ended and its closer line has not. */
function fenceOpenAt(spans: readonly FenceSpan[], offset: number): Fence | undefined {
  const span = spans.findLast((candidate) => candidate.contentStart <= offset);
  return span !== undefined && offset <= span.closerLineEnd ? span.fence : undefined;
}

/**
 * Builds the line that re-opens `fence` at the start of a chunk. It has no indentation, so text
 * that mimics it right after a cut would form a fence line, which {@link joinChunks} relies on.
 * NOTE: a block opened with indentation therefore shows that indentation in later chunks.
 */
function reopenerFor(fence: Fence, limit: number): string {
  const full = `${fence.marker}${fence.info}\n`;
  const textRoom = limit - full.length - closerFor(fence).length;
  return textRoom >= limit * MIN_TEXT_FRACTION_WITH_INFO ? full : `${fence.marker}\n`;
}

function closerFor(fence: Fence): string {
  return `\n${fence.marker}`;
}

/** Returns the re-opener of `fence` that `chunk` starts with, if any. */
function reopenerAt(chunk: string, fence: Fence): string | undefined {
  return [`${fence.marker}${fence.info}\n`, `${fence.marker}\n`].find((reopener) => chunk.startsWith(reopener));
}
