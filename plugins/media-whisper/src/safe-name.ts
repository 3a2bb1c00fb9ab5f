/**
 * File names for received media. A sender chooses the name, so it is cleaned until it
 * can only be one plain file name: no separators, no `..`, no control or bidi
 * characters, no name Windows reserves, and at most MAX_NAME_BYTES of UTF-8. Letters of
 * every script and emoji are kept.
 */

/** Longest cleaned name in UTF-8 bytes; the stored file adds an id before it. */
export const MAX_NAME_BYTES = 100;
const MAX_EXTENSION_BYTES = 16;

// C0 and C1 controls, DEL, bidi marks, embeddings, overrides and isolates, and the byte order mark.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// Separators and the characters Windows refuses in names.
const FORBIDDEN = /[/\\<>:"|?*]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** Cuts `text` to at most `limit` UTF-8 bytes without splitting a character. */
function cut(text: string, limit: number): string {
  let result = "";
  for (const character of text) {
    if (bytes(result + character) > limit) break;
    result += character;
  }
  return result;
}

/** Shortens a name to MAX_NAME_BYTES, keeping a short extension. */
function shorten(name: string): string {
  if (bytes(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && bytes(name.slice(dot)) <= MAX_EXTENSION_BYTES ? name.slice(dot) : "";
  const stem = cut(name.slice(0, name.length - extension.length), MAX_NAME_BYTES - bytes(extension)).trimEnd();
  return stem + extension;
}

/** Returns a name safe to use as one file in a folder, or `fallback` when nothing usable is left. */
export function safeFileName(name: string, fallback = "file"): string {
  // Line breaks and tabs become spaces before the other controls are dropped.
  let clean = name.normalize("NFC").replace(/\s+/g, " ").replace(INVISIBLE, "").replace(FORBIDDEN, "_");
  // Leading dots would hide the file (and `..` is a path step); trailing dots and spaces vanish on Windows.
  clean = clean.replace(/^[\s.]+/, "").replace(/[\s.]+$/, "");
  if (RESERVED.test(clean)) clean = `_${clean}`;
  clean = shorten(clean);
  return clean.length > 0 ? clean : fallback;
}
