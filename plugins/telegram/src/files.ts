/**
 * Links to a bot's files on arizuko's own HTTP server: `/telegram/<bot id>/files/<file id>?sig=…`.
 * Telegram's download URL carries the bot token, so it is never handed out. These
 * links resolve the file id with `getFile` when fetched and pass the bytes through.
 * The signature is an HMAC of the file id under a key derived from the token: a link
 * works only for files the bot was sent, survives restarts, and dies with the token.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { binaryResponse, SECURITY, type HttpRoute } from "@arizuko/sdk";
import { Type } from "typebox";

/** The bot's part in serving links: whether it runs, and the download of a file. */
export interface FileSource {
  running(): boolean;
  /** Resolves with the bytes, or rejects with a `FileError` saying what went wrong. */
  download(fileId: string): Promise<{ data: Uint8Array; mime: string }>;
}

/** A download that failed for a reason the link's user should hear, with its HTTP status. */
export class FileError extends Error {
  constructor(
    readonly status: 404 | 502,
    message: string,
  ) {
    super(message);
  }
}

/** Telegram file ids are URL-safe base64, so anything else is invalid. */
const FILE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** The plain error body of the bot's routes. */
export const BotError = (description: string) => ({ ...Type.Object({ error: Type.String() }), description });

const FILE_LINK_SCHEMA = {
  summary: "A file a Telegram bot was sent",
  description: "The link in a stored message's attachment. The `sig` parameter proves the link came from this bot; the bytes come from Telegram when the link is fetched.",
  security: SECURITY.none,
  params: Type.Object({ fileId: Type.String({ description: "Telegram's file id" }) }),
  querystring: Type.Object({ sig: Type.String({ description: "the link's signature" }) }),
  response: {
    200: binaryResponse("The file's bytes, with its media type."),
    403: BotError("The signature does not match the file."),
    404: BotError("Telegram no longer has the file."),
    502: BotError("Telegram failed to return the file."),
    503: BotError("The bot is not running."),
  },
};

export function filesPath(botId: string): string {
  return `/telegram/${botId}/files`;
}

export class FileLinks {
  private readonly key: Buffer;

  constructor(
    private readonly botId: string,
    token: string,
  ) {
    this.key = createHmac("sha256", token).update("arizuko telegram file links").digest();
  }

  /** Returns the path that serves `fileId`, relative to arizuko's base URL. */
  url(fileId: string): string {
    return `${filesPath(this.botId)}/${encodeURIComponent(fileId)}?sig=${this.sign(fileId)}`;
  }

  private sign(fileId: string): string {
    return createHmac("sha256", this.key).update(fileId).digest("base64url").slice(0, 32);
  }

  private valid(fileId: string, sig: unknown): boolean {
    if (typeof sig !== "string") return false;
    const given = Buffer.from(sig);
    const expected = Buffer.from(this.sign(fileId));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Builds the GET route that serves this bot's links. */
  route(source: FileSource): HttpRoute {
    return {
      method: "GET",
      url: `${filesPath(this.botId)}/:fileId`,
      schema: FILE_LINK_SCHEMA,
      // The handler checks both and responds 403 to any bad link.
      documentOnly: ["params", "querystring"],
      handler: async (request, reply) => {
        const { fileId } = request.params as { fileId: string };
        const { sig } = request.query as { sig?: unknown };
        if (!FILE_ID.test(fileId) || !this.valid(fileId, sig)) {
          return reply.code(403).send({ error: "invalid file link: the sig parameter does not match this file; use the url of the message's attachment as stored" });
        }
        if (!source.running()) return reply.code(503).send({ error: `telegram bot ${this.botId} is not running; try again once it is connected` });
        try {
          const file = await source.download(fileId);
          return reply.code(200).header("content-type", file.mime).header("cache-control", "private, max-age=3600").send(Buffer.from(file.data));
        } catch (error) {
          const status = error instanceof FileError ? error.status : 502;
          request.log.warn({ bot: this.botId, file: fileId, status, err: error }, "telegram file link failed");
          return reply.code(status).send({ error: (error as Error).message });
        }
      },
    };
  }
}
