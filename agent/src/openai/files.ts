/**
 * File tools for harnesses whose model has none of its own: the agent keeps its memory
 * in the group folder. Paths are relative to the folder; `..`, dot-folders (host state
 * in `.arizuko/`) and symlinks that lead out are refused.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Largest file the tools read or write. */
export const MAX_FILE_BYTES = 256 * 1024;

export class FileToolError extends Error {}

/** Returns the absolute path of `path` inside `root`, after every check; the file need not exist. */
export function insidePath(root: string, path: string): string {
  if (typeof path !== "string" || path.length === 0 || path.includes("\0")) throw new FileToolError("path must be a non-empty relative path");
  if (isAbsolute(path)) throw new FileToolError(`path ${JSON.stringify(path)} is absolute; give a path relative to the group folder, e.g. memory/notes.md`);
  const hidden = path.split(/[\\/]/).find((segment) => segment === ".." || segment.startsWith("."));
  if (hidden) throw new FileToolError(`path ${JSON.stringify(path)} goes through ${JSON.stringify(hidden)}; use plain folders inside the group folder`);

  const realRoot = realpathSync(root);
  const target = resolve(realRoot, path);
  // The deepest part that exists decides where a symlink leads.
  let existing = target;
  while (existing !== realRoot && !exists(existing)) existing = dirname(existing);
  const inside = relative(realRoot, realpathSync(existing));
  if (inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside) || inside.split(sep).some((segment) => segment.startsWith("."))) {
    throw new FileToolError(`path ${JSON.stringify(path)} leads outside the group folder`);
  }
  return target;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface FileTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  run(args: Record<string, unknown>): string;
}

export function fileTools(root: string): FileTool[] {
  const pathParam = { type: "string", description: "Path relative to the group folder, e.g. MEMORY.md or memory/people.md" };
  return [
    {
      name: "read_file",
      description: "Read a text file of the group folder, e.g. MEMORY.md. To change it use write_file.",
      parameters: { type: "object", properties: { path: pathParam }, required: ["path"], additionalProperties: false },
      run: (args) => {
        const path = insidePath(root, String(args.path));
        const data = readFileSync(path);
        if (data.length > MAX_FILE_BYTES) throw new FileToolError(`${String(args.path)} is ${data.length} bytes; at most ${MAX_FILE_BYTES} can be read`);
        return data.toString("utf8");
      },
    },
    {
      name: "write_file",
      description: "Write (replace) a text file of the group folder, e.g. to keep notes in MEMORY.md for later conversations. To look first use read_file.",
      parameters: { type: "object", properties: { path: pathParam, content: { type: "string" } }, required: ["path", "content"], additionalProperties: false },
      run: (args) => {
        const path = insidePath(root, String(args.path));
        const content = String(args.content);
        if (Buffer.byteLength(content) > MAX_FILE_BYTES) throw new FileToolError(`content over ${MAX_FILE_BYTES} bytes`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
        return `wrote ${Buffer.byteLength(content)} bytes to ${String(args.path)}`;
      },
    },
    {
      name: "list_files",
      description: "List the files of a folder of the group folder (default its top). To read one use read_file.",
      parameters: { type: "object", properties: { path: { ...pathParam, description: "Folder relative to the group folder; default the top" } }, additionalProperties: false },
      run: (args) => {
        const folder = args.path === undefined ? realpathSync(root) : insidePath(root, String(args.path));
        return readdirSync(folder, { withFileTypes: true })
          .filter((entry) => !entry.name.startsWith("."))
          .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
          .sort()
          .join("\n");
      },
    },
  ];
}

