/**
 * Sealing for what the plugin keeps at rest (session keys, message contents): AES-256-GCM
 * under a key derived from the configured `authKey` and the account, with the row's
 * identity as associated data, so a row cannot be read without the key nor moved to
 * another row unnoticed.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A row sealed under another key, or damaged. */
export class SealBroken extends Error {
  constructor(readonly where: string) {
    super(`cannot decrypt ${where}`);
    this.name = "SealBroken";
  }
}

export interface Sealer {
  seal(plain: string, where: string): Buffer;
  /** Throws `SealBroken` when the key differs from the one the row was sealed with. */
  open(sealed: Buffer, where: string): string;
}

/** Returns the sealer of one account; `secret` is the operator's `authKey`. */
export function sealerFor(secret: string, account: string): Sealer {
  const key = Buffer.from(hkdfSync("sha256", secret, "arizuko-whatsapp", `account ${account}`, 32));

  return {
    seal(plain, where) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(where));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },

    open(sealed, where) {
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(where));
        decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch {
        throw new SealBroken(where);
      }
    },
  };
}
