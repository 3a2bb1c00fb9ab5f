/**
 * Removing the received files a message's `files` column points at. Paths there are
 * relative to the group folder (media-whisper stores `media/YYYYMMDD/<id>-<name>`); a
 * path that would leave the group folder is skipped, never followed.
 */
import { readdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";

interface StoredFile {
  path?: string | null;
  error?: string;
  [field: string]: unknown;
}

/** Parses a `files` column; a value that is not a JSON array counts as no files. */
function parseFiles(files: string | null): StoredFile[] {
  if (files === null) return [];
  try {
    const parsed: unknown = JSON.parse(files);
    return Array.isArray(parsed) ? (parsed as StoredFile[]) : [];
  } catch {
    return [];
  }
}

/** Returns the absolute path of a stored file, or null when it is missing or outside the group folder. */
function insideGroup(groupPath: string, path: string | null | undefined): string | null {
  if (typeof path !== "string" || path.length === 0 || isAbsolute(path)) return null;
  const absolute = join(groupPath, path);
  const rel = relative(groupPath, absolute);
  return rel.length === 0 || rel === ".." || rel.startsWith(`..${sep}`) ? null : absolute;
}

/** Deletes the file and then its folder when that is left empty (the day's media folder). */
function removeFile(path: string): void {
  rmSync(path, { force: true });
  const folder = dirname(path);
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // Another file arrived, or the folder is already gone: nothing to tidy.
  }
}

/**
 * Deletes the files of one message. Returns how many were removed and the `files`
 * value to store instead, in which each removed entry has a null path and an `error`
 * with the reason.
 */
export function removeMessageFiles(groupPath: string | null, files: string | null, reason: string): { removed: number; files: string | null } {
  const entries = parseFiles(files);
  if (entries.length === 0) return { removed: 0, files };
  let removed = 0;
  const kept = entries.map((entry) => {
    const path = groupPath === null ? null : insideGroup(groupPath, entry.path);
    if (path === null) return entry;
    removeFile(path);
    removed += 1;
    return { ...entry, path: null, error: reason };
  });
  return { removed, files: JSON.stringify(kept) };
}
