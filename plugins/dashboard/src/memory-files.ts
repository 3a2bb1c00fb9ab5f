/**
 * The files of a group folder an operator may read on the dashboard: persona, memory,
 * skills and whatever else the agent keeps there. Host state (`.arizuko/`), received
 * media, harness sessions and the folders of child groups (a folder with its own
 * `.arizuko/`, even one whose group was removed) are left out. A file is served only when it appears in
 * this listing, so a requested path can never reach outside the folder. Symbolic
 * links are not followed.
 */
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";

const HOST_STATE = ".arizuko";
const SKIPPED = new Set([HOST_STATE, "media", "sessions"]);
const MAX_FILES = 500;
const MAX_DEPTH = 6;
/** Larger files are shown cut at this many bytes. */
export const MAX_VIEW_BYTES = 256 * 1024;

export interface MemoryFile {
  /** Path relative to the group folder, with `/` separators. */
  path: string;
  size: number;
  modifiedAt: number;
}

/** Lists the readable files of `root`, sorted by path; at most MAX_FILES. */
export function listMemoryFiles(root: string): MemoryFile[] {
  const files: MemoryFile[] = [];
  const walk = (folder: string, prefix: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (files.length >= MAX_FILES) return;
      if (depth === 0 && SKIPPED.has(entry.name)) continue;
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const isGroupFolder = entry.isDirectory() && existsSync(join(folder, entry.name, HOST_STATE));
      if (entry.isDirectory() && depth < MAX_DEPTH && !isGroupFolder) walk(join(folder, entry.name), path, depth + 1);
      else if (entry.isFile()) {
        const stats = lstatSync(join(folder, entry.name));
        files.push({ path, size: stats.size, modifiedAt: stats.mtimeMs });
      }
    }
  };
  walk(root, "", 0);
  return files;
}

/** Reads a listed file as text: its first MAX_VIEW_BYTES, and whether it looks binary. */
export function readMemoryFile(root: string, file: MemoryFile): { text: string; cut: boolean; binary: boolean } {
  const buffer = Buffer.alloc(Math.min(file.size, MAX_VIEW_BYTES));
  // The agent can write its folder: a file swapped for a link since the listing is not followed.
  // TODO: a folder on the path swapped for a link is still followed; openat2 with RESOLVE_BENEATH would close that.
  const fd = openSync(join(root, ...file.path.split("/")), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  const binary = buffer.includes(0);
  return { text: binary ? "" : buffer.toString("utf8"), cut: file.size > MAX_VIEW_BYTES, binary };
}
