/**
 * Finds plugin packages installed where the loader looks (node_modules beside the config
 * and beside arizuko, and their parent folders), by the names plugins publish under:
 * `@arizuko/plugin-*`, `arizuko-plugin-*` and `@scope/arizuko-plugin-*`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface InstalledPlugin {
  name: string;
  version: string | null;
  path: string;
}

const PLUGIN_PACKAGE = /^(@arizuko\/plugin-[a-z0-9-]+|arizuko-plugin-[a-z0-9-]+|@[a-z0-9][a-z0-9._-]*\/arizuko-plugin-[a-z0-9-]+)$/;

/** Lists the node_modules folders from `start` up to the file system's root. */
function moduleFolders(start: string): string[] {
  const folders: string[] = [];
  for (let folder = start; ; folder = dirname(folder)) {
    const candidate = join(folder, "node_modules");
    if (existsSync(candidate)) folders.push(candidate);
    if (dirname(folder) === folder) return folders;
  }
}

function packagesIn(folder: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(folder)) {
    if (!entry.startsWith("@")) {
      names.push(entry);
      continue;
    }
    try {
      for (const scoped of readdirSync(join(folder, entry))) names.push(`${entry}/${scoped}`);
    } catch {
      // A scope folder that cannot be read has no package the loader could import either.
    }
  }
  return names;
}

function versionOf(path: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Returns the plugin packages installed for `baseDir`, the nearest copy of each name. */
export function installedPlugins(baseDir: string): InstalledPlugin[] {
  const own = dirname(fileURLToPath(import.meta.url));
  const found = new Map<string, InstalledPlugin>();
  for (const folder of [...moduleFolders(baseDir), ...moduleFolders(own)]) {
    for (const name of packagesIn(folder).filter((candidate) => PLUGIN_PACKAGE.test(candidate))) {
      if (found.has(name)) continue;
      const path = join(folder, name);
      found.set(name, { name, version: versionOf(path), path });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}
