/**
 * Files an adapter sent inline (base64 in the message body), kept on disk under their
 * SHA-256 so a message row holds only a reference, and the same file is stored once.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const HASH = /^[0-9a-f]{64}$/;

export class InlineFiles {
  constructor(private readonly dir: string) {}

  /** Stores `data` and returns its reference id. */
  save(data: Buffer, mime: string): string {
    const hash = createHash("sha256").update(data).digest("hex");
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, hash);
    if (!existsSync(path)) {
      writeFileSync(path, data, { mode: 0o600 });
      writeFileSync(`${path}.mime`, mime, { mode: 0o600 });
    }
    return hash;
  }

  async read(hash: string): Promise<{ data: Uint8Array; mime: string }> {
    if (!HASH.test(hash)) throw new Error(`not a stored file reference: ${hash}`);
    const path = join(this.dir, hash);
    const [data, mime] = await Promise.all([readFile(path), readFile(`${path}.mime`, "utf8").catch(() => "application/octet-stream")]);
    return { data, mime };
  }
}
