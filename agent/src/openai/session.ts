/**
 * A conversation kept between runs of one session, as turns (a user message and what
 * followed it) in `sessions/<session id>.json` of the group folder. Past the size cap
 * the oldest turns go first, whole, so a tool call never loses its result.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChatMessage } from "./client.js";

export type Turn = ChatMessage[];

/** Default cap on a session file. */
export const MAX_SESSION_BYTES = 512 * 1024;

function file(groupPath: string, sessionId: string): string {
  return join(groupPath, "sessions", `${sessionId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
}

export function loadSession(groupPath: string, sessionId: string): Turn[] {
  try {
    const parsed = JSON.parse(readFileSync(file(groupPath, sessionId), "utf8")) as { turns?: Turn[] };
    return Array.isArray(parsed.turns) ? parsed.turns : [];
  } catch {
    return [];
  }
}

/** Writes the session atomically, keeping the newest turns that fit in `maxBytes`. */
export function saveSession(groupPath: string, sessionId: string, turns: Turn[], maxBytes = MAX_SESSION_BYTES): void {
  let kept = turns;
  while (kept.length > 1 && Buffer.byteLength(JSON.stringify({ turns: kept })) > maxBytes) kept = kept.slice(1);
  const path = file(groupPath, sessionId);
  mkdirSync(join(groupPath, "sessions"), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify({ turns: kept }));
  renameSync(`${path}.tmp`, path);
}
