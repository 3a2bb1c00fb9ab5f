/**
 * Storage of received files at `media/YYYYMMDD/<id>-<safe name>` inside the group
 * folder, the day in UTC. The agent can write in its folder, so a link it planted in the way is
 * never followed: the day folder must resolve inside the group folder, and the file is
 * opened with O_NOFOLLOW.
 */
import { closeSync, constants, mkdirSync, openSync, realpathSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { safeFileName } from "./safe-name.js";

export const MEDIA_FOLDER = "media";

/** The `YYYYMMDD` folder of a time, in UTC. */
export const dayFolder = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");

/**
 * Writes `data` under the group's media folder and returns its path relative to the
 * group folder, with `/` separators. `id` must be made of safe characters (the caller's
 * own, never a sender's).
 */
export function storeMedia(groupPath: string, id: string, name: string, data: Uint8Array, now: number): string {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`media id ${JSON.stringify(id)} has unsafe characters`);
  const root = realpathSync(groupPath);
  const folder = join(root, MEDIA_FOLDER, dayFolder(now));
  mkdirSync(folder, { recursive: true });
  if (realpathSync(folder) !== folder) throw new Error(`${relative(root, folder)} is a link, not a folder of the group; the file was not stored`);

  const fileName = `${id}-${safeFileName(name)}`;
  const path = join(folder, fileName);
  // The name has no separator, so the file sits directly in the day folder.
  if (relative(folder, path) !== fileName) throw new Error(`unsafe media name ${JSON.stringify(fileName)}`);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
  return relative(root, path).split(sep).join("/");
}
