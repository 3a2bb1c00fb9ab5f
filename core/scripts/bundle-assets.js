// Copies the repository's top-level migrations/ and templates/ into this package
// before `npm pack`, so a published @arizuko/core carries them.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(packageRoot, "..");

for (const folder of ["migrations", "templates"]) {
  rmSync(join(packageRoot, folder), { recursive: true, force: true });
  // Build output and installed packages of a template are not part of it.
  cpSync(join(repoRoot, folder), join(packageRoot, folder), { recursive: true, filter: (source) => !/[\\/](dist|node_modules)([\\/]|$)/.test(source.slice(repoRoot.length)) });
}
