/**
 * Group folders: `main`, `acme`, `acme/support`. At most four levels, each segment
 * `[a-z0-9][a-z0-9_-]{0,63}`, so a folder is always a safe relative path.
 */

export const MAX_FOLDER_DEPTH = 4;

const SEGMENT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidFolder(folder: string): boolean {
  if (typeof folder !== "string" || folder.length === 0) return false;
  const segments = folder.split("/");
  if (segments.length > MAX_FOLDER_DEPTH) return false;
  return segments.every((segment) => SEGMENT_PATTERN.test(segment));
}

/** Explains why `folder` is not a valid group folder, or returns null when it is. */
export function folderProblem(folder: string): string | null {
  if (typeof folder !== "string" || folder.length === 0) return "the folder is empty";
  const segments = folder.split("/");
  if (segments.length > MAX_FOLDER_DEPTH) {
    return `${JSON.stringify(folder)} has ${segments.length} levels; at most ${MAX_FOLDER_DEPTH} are allowed`;
  }
  const bad = segments.find((segment) => !SEGMENT_PATTERN.test(segment));
  if (bad !== undefined) {
    return `segment ${JSON.stringify(bad)} of ${JSON.stringify(folder)} must match ${SEGMENT_PATTERN.source} (lowercase letters, digits, _ and -)`;
  }
  return null;
}

/** Tells whether `folder` is `root` or below it (a `{sender}` target segment counts as below). */
export function inSubtree(root: string, folder: string): boolean {
  return folder === root || folder.startsWith(`${root}/`);
}

/** The parent folder of `acme/support` is `acme`; a top-level folder has none. */
export function parentFolder(folder: string): string | null {
  const slash = folder.lastIndexOf("/");
  return slash < 0 ? null : folder.slice(0, slash);
}
