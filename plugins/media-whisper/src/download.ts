/**
 * Gets the bytes of an attachment: through the owning channel's `fetchAttachment` when
 * it has one, else from the attachment's URL. Both stop at the size cap and the
 * timeout. A URL download goes only to public addresses (address-guard.ts), follows at
 * most MAX_REDIRECTS redirects and checks each new address again.
 */
import type { Attachment, Host } from "@arizuko/sdk";
import { Agent, fetch } from "undici";
import { BlockedAddress, checkLiteralHost, guardedLookup } from "./address-guard.js";

const MAX_REDIRECTS = 5;

/** A download that did not happen, with the reason in words for the agent. */
export class DownloadFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadFailed";
  }
}

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Time for all the work on one message; `budget` signals passed in abort when it is spent. */
  budgetMs: number;
  /** Hosts (`name` or `name:port`) the operator lets downloads reach on any address. */
  allowHosts: string[];
}

export interface Downloaded {
  data: Uint8Array;
  /** The MIME type the channel or server reported. */
  mime: string;
}

/** Formats a size in KiB below a mebibyte, else in MiB with one decimal. */
const mebibytes = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`);

function tooLarge(size: number | string, limit: number): DownloadFailed {
  return new DownloadFailed(`the file is ${typeof size === "number" ? mebibytes(size) : size}, larger than the ${mebibytes(limit)} limit; it was not downloaded`);
}

/** Rejects with `reason()` when `signal` aborts before `promise` settles. */
async function until<T>(promise: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  if (signal.aborted) throw reason();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

/** Builds the reason for a download stopped by the message's budget. */
export function budgetSpent(budgetMs: number): DownloadFailed {
  return new DownloadFailed(`the plugin's ${budgetMs / 1000} s budget for this message ran out (raise budgetMs together with hooks.timeoutsMs.onEnrich)`);
}

export class Downloader {
  /** Connections of URL downloads; their lookups refuse addresses that are not public. */
  private readonly guarded = new Agent({ connect: { lookup: guardedLookup } });
  /** Connections to origins the channel or operator vouched for. */
  private readonly trusted = new Agent();

  constructor(
    private readonly host: Host,
    private readonly limits: DownloadLimits,
  ) {}

  close(): Promise<void> {
    return Promise.all([this.guarded.close(), this.trusted.close()]).then(() => undefined);
  }

  /** Downloads an attachment of `chat`, giving up when `budget` aborts; throws DownloadFailed with the reason. */
  async fetch(chat: string, attachment: Attachment, budget: AbortSignal): Promise<Downloaded> {
    if (attachment.size !== undefined && attachment.size > this.limits.maxBytes) throw tooLarge(attachment.size, this.limits.maxBytes);
    const channel = this.host.channels.forChat(chat);

    if (channel?.fetchesAttachments) {
      // TODO: the channel's download goes on after a timeout; only its result is dropped.
      const signal = AbortSignal.any([AbortSignal.timeout(this.limits.timeoutMs), budget]);
      const file = await until(this.host.channels.fetchAttachment(chat, attachment.ref), signal, () =>
        budget.aborted ? budgetSpent(this.limits.budgetMs) : new DownloadFailed(`downloading from ${channel.name} took longer than ${this.limits.timeoutMs / 1000} s; it was not downloaded`),
      );
      if (file.data.byteLength > this.limits.maxBytes) throw tooLarge(file.data.byteLength, this.limits.maxBytes);
      return file;
    }
    if (attachment.url && /^https?:\/\//i.test(attachment.url)) return this.fromUrl(new URL(attachment.url), channel?.attachmentOrigins ?? [], budget);
    throw new DownloadFailed(`the channel ${channel?.name ?? "of this chat"} offers no way to download this file`);
  }

  private isTrusted(url: URL, origins: string[]): boolean {
    return origins.includes(url.origin) || this.limits.allowHosts.includes(url.host) || this.limits.allowHosts.includes(url.hostname);
  }

  /** Follows redirects by hand, so each new URL is checked like the first. */
  private async fromUrl(first: URL, origins: string[], budget: AbortSignal): Promise<Downloaded> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.limits.timeoutMs), budget]);
    let url = first;
    try {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new DownloadFailed(`redirected to ${url.protocol} URL; only http and https are downloaded`);
        const trusted = this.isTrusted(url, origins);
        if (!trusted) checkLiteralHost(url);

        const response = await fetch(url, { redirect: "manual", signal, dispatcher: trusted ? this.trusted : this.guarded });
        const location = response.headers.get("location");
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel();
          url = new URL(location, url);
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw new DownloadFailed(`the server returned HTTP ${response.status}`);
        }
        return { data: await this.readCapped(response), mime: response.headers.get("content-type")?.split(";")[0]?.trim() || "application/octet-stream" };
      }
      throw new DownloadFailed(`more than ${MAX_REDIRECTS} redirects`);
    } catch (error) {
      throw this.reason(error, signal, budget);
    }
  }

  /** Reads a body, stopping as soon as it passes the cap (a lying Content-Length cannot get past it). */
  private async readCapped(response: Awaited<ReturnType<typeof fetch>>): Promise<Uint8Array> {
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > this.limits.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(declared, this.limits.maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body ?? []) {
      total += chunk.byteLength;
      if (total > this.limits.maxBytes) throw tooLarge(`over ${mebibytes(this.limits.maxBytes)}`, this.limits.maxBytes);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** Turns what went wrong into a DownloadFailed the agent can read. */
  private reason(error: unknown, signal: AbortSignal, budget: AbortSignal): DownloadFailed {
    if (error instanceof DownloadFailed) return error;
    if (error instanceof BlockedAddress) return new DownloadFailed(error.message);
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof BlockedAddress) return new DownloadFailed(cause.message);
    if (budget.aborted) return budgetSpent(this.limits.budgetMs);
    if (signal.aborted) return new DownloadFailed(`the download took longer than ${this.limits.timeoutMs / 1000} s`);
    return new DownloadFailed(`the download failed: ${(cause as Error | undefined)?.message ?? (error as Error).message}`);
  }
}
