/**
 * Which files an agent may send: regular files inside its group folder, named by a
 * relative path, never through `..`, a dot-folder (`.arizuko/` contains host state) or a
 * dotfile (`.env` and the like), and never through a symlink that leads elsewhere.
 */
import { realpathSync, statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve, sep } from "node:path";
import mime from "mime-types";
import type { OutboundFile } from "@arizuko/sdk";
import { ToolFailure } from "./kit.js";

/** Largest file an agent may send; channels may allow less. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

function hiddenSegment(path: string): string | undefined {
  return path.split(/[\\/]/).find((segment) => segment === ".." || segment.startsWith("."));
}

/** Resolves `path` inside `groupPath`; fails naming what is wrong and what to pass instead. */
export function groupFile(groupPath: string, path: string): OutboundFile {
  if (path.includes("\0")) throw new ToolFailure("path contains a NUL character");
  if (isAbsolute(path)) throw new ToolFailure(`path ${JSON.stringify(path)} is absolute; give a path relative to the group folder, e.g. media/report.pdf`);
  const hidden = hiddenSegment(path);
  if (hidden) throw new ToolFailure(`path ${JSON.stringify(path)} goes through ${JSON.stringify(hidden)}; only files inside the group folder, outside dot-folders, can be sent`);

  let real: string;
  let root: string;
  try {
    root = realpathSync(groupPath);
    real = realpathSync(resolve(groupPath, path));
  } catch {
    throw new ToolFailure(`no file ${JSON.stringify(path)} in the group folder`);
  }

  // A symlink may point anywhere: the real path must still be a plain file of the folder.
  const inside = relative(root, real);
  if (inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside) || hiddenSegment(inside)) {
    throw new ToolFailure(`path ${JSON.stringify(path)} leads outside the group folder; only files inside it can be sent`);
  }
  const stat = statSync(real);
  if (!stat.isFile()) throw new ToolFailure(`path ${JSON.stringify(path)} is not a regular file`);
  if (stat.size > MAX_FILE_BYTES) throw new ToolFailure(`file ${JSON.stringify(path)} is ${stat.size} bytes; at most ${MAX_FILE_BYTES} can be sent`);

  const name = basename(real);
  return { path: real, name, mime: mime.lookup(name) || "application/octet-stream", size: stat.size };
}
