import { fileURLToPath } from "node:url";

/** Resolves a plugin's `migrations` (a path or a `file:` URL, possibly from another realm) to a folder path. */
export function migrationsDir(migrations: string | URL): string {
  const text = typeof migrations === "string" ? migrations : migrations.href;
  return text.startsWith("file:") ? fileURLToPath(text) : text;
}
