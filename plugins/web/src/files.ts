/**
 * Files uploaded to web chats. The bytes live in `<data>/web/files/<id>` under an id
 * arizuko chooses, so an uploaded name never becomes a path; the name is only shown.
 * Served back only to the chat's owner, as a download unless the type is a raster
 * image the page shows inline.
 * A file attached to a message is deleted with that message (retention, purge commands).
 * TODO: files uploaded and never attached to a message are never deleted.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Attachment, AttachmentKind } from "@arizuko/sdk";
import type { Database } from "better-sqlite3";

export interface WebFile {
  id: string;
  chat: string;
  name: string;
  mime: string;
  size: number;
  createdAt: number;
}

export const FILE_ID_PATTERN = "^f_[A-Za-z0-9_-]{16}$";
const MIME_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/;
/** Types the page may show inline; anything else (SVG and HTML included) is a download. */
const INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function kindOf(mime: string): AttachmentKind {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("audio/")) return "audio";
  if (mime.startsWith("video/")) return "video";
  return "file";
}

export const isInline = (mime: string) => INLINE_TYPES.has(mime);

/** Returns a display name without path separators or control characters, at most 200 characters. */
export function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\]+/g, "_").trim().slice(0, 200);
  return cleaned.length > 0 ? cleaned : "file";
}

export function normaliseMime(mime: string | undefined): string {
  const value = (mime ?? "").split(";")[0]!.trim().toLowerCase();
  return MIME_PATTERN.test(value) ? value : "application/octet-stream";
}

export class WebFiles {
  private readonly statements;
  private readonly folder: string;

  constructor(db: Database, dataDir: string) {
    this.folder = join(dataDir, "web", "files");
    this.statements = {
      insert: db.prepare("INSERT INTO web_files (id, chat, name, mime, size, created_at) VALUES (@id, @chat, @name, @mime, @size, @createdAt)"),
      get: db.prepare("SELECT id, chat, name, mime, size, created_at AS createdAt FROM web_files WHERE id = ?"),
      remove: db.prepare("DELETE FROM web_files WHERE id = ? AND chat = ?"),
    };
  }

  /** Stores the bytes first and the row after, so a row always has its file. */
  save(chat: string, name: string, mime: string, data: Buffer): WebFile {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const file: WebFile = { id: `f_${randomBytes(12).toString("base64url")}`, chat, name: displayName(name), mime: normaliseMime(mime), size: data.length, createdAt: Date.now() };
    writeFileSync(join(this.folder, file.id), data, { mode: 0o600 });
    this.statements.insert.run(file);
    return file;
  }

  get(id: string): WebFile | null {
    return (this.statements.get.get(id) as WebFile | undefined) ?? null;
  }

  /** Deletes an uploaded file of a chat, row first, so no row outlives its bytes; returns false when the chat has no such file. */
  remove(id: string, chat: string): boolean {
    if (this.statements.remove.run(id, chat).changes === 0) return false;
    rmSync(join(this.folder, id), { force: true });
    return true;
  }

  read(file: WebFile): Buffer {
    return readFileSync(join(this.folder, file.id));
  }

  exists(file: WebFile): boolean {
    return existsSync(join(this.folder, file.id));
  }

  /** Returns the attachment a message carries for `file`, with the file id as `ref`. */
  attachment(file: WebFile): Attachment {
    return { kind: kindOf(file.mime), mime: file.mime, size: file.size, name: file.name, ref: file.id };
  }
}
