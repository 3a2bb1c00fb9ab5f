/**
 * Files shipped beside the code: core migrations and the group template. In the
 * repository they live at the top level (migrations/, templates/); a packed
 * @arizuko/core carries copies inside the package (see scripts/bundle-assets.js).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// core/src/assets.ts or core/dist/assets.js: the package root is two levels up.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function locate(...relative: string[]): string {
  // The repository copy wins, so a stale packed copy never shadows it during development.
  const candidates = [join(packageRoot, "..", ...relative), join(packageRoot, ...relative)];
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

export function coreMigrationsDir(): string {
  return locate("migrations");
}

export function groupTemplateDir(): string {
  return locate("templates", "group");
}
