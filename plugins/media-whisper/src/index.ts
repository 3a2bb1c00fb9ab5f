/**
 * media-whisper: attachments become files the agent can read, and voice becomes text.
 * It taps `onEnrich`, which runs only for messages that will start or join a run, so
 * chatter that is only stored costs nothing. Each attachment is downloaded (size cap,
 * timeout, public addresses only for URLs), its type sniffed from its bytes, and stored
 * under the group's `media/` folder. Audio goes to an OpenAI-compatible transcription
 * endpoint when one is configured. The prompt shows each file as an `<attachment>`
 * element with its path, transcript or the reason it has neither; a failure never
 * drops the message.
 */
import { definePlugin, HOST_API_VERSION, type Attachment, type EnrichedFile, type EnrichContext, type JsonSchema } from "@arizuko/sdk";
import { fileTypeFromBuffer } from "file-type";
import { DownloadFailed, Downloader } from "./download.js";
import { storeMedia } from "./media-store.js";
import { Transcriber, TranscriptionFailed, whisperExtension, type TranscriberConfig } from "./transcribe.js";

interface MediaConfig {
  maxBytes: number;
  downloadTimeoutMs: number;
  budgetMs: number;
  allowHosts: string[];
  transcription?: TranscriberConfig;
}

const MIB = 1024 * 1024;

/** Returns the type the bytes show, else the one the channel reported. */
async function sniff(data: Uint8Array, reported: string): Promise<string> {
  const found = await fileTypeFromBuffer(data).catch(() => undefined);
  return found?.mime ?? reported;
}

export default definePlugin<JsonSchema, MediaConfig>({
  name: "media-whisper",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Stores attachments in the group folder for the agent and transcribes voice notes with an OpenAI-compatible Whisper endpoint.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      maxBytes: { type: "integer", minimum: 1024, maximum: 1024 * MIB, default: 20 * MIB },
      downloadTimeoutMs: { type: "integer", minimum: 100, maximum: 600_000, default: 20_000 },
      // Under the core's 60 s onEnrich timeout, so the agent always learns what became of each file.
      budgetMs: { type: "integer", minimum: 1000, maximum: 3_600_000, default: 55_000 },
      allowHosts: { type: "array", items: { type: "string", minLength: 1, maxLength: 255 }, default: [] },
      transcription: {
        type: "object",
        additionalProperties: false,
        required: ["baseUrl"],
        properties: {
          baseUrl: { type: "string", pattern: "^https?://", maxLength: 2000 },
          model: { type: "string", minLength: 1, maxLength: 200, default: "whisper-1" },
          language: { type: "string", pattern: "^[a-z]{2,3}$" },
          apiKey: { type: "string", minLength: 1, maxLength: 1000 },
          timeoutMs: { type: "integer", minimum: 1000, maximum: 1_800_000, default: 50_000 },
        },
      },
    },
  },

  register(host, config) {
    const downloader = new Downloader(host, { maxBytes: config.maxBytes, timeoutMs: config.downloadTimeoutMs, budgetMs: config.budgetMs, allowHosts: config.allowHosts });
    host.onDispose(() => downloader.close());
    const transcriber = config.transcription ? new Transcriber(config.transcription) : null;

    /** Stores one attachment and transcribes it when it is audio. Failures go into the returned entry's `error`, not a throw. */
    const enrichFile = async (context: EnrichContext, attachment: Attachment, index: number, budget: AbortSignal): Promise<EnrichedFile> => {
      const { message } = context;
      const name = attachment.name ?? `${attachment.kind}${index + 1}`;
      const file: EnrichedFile = { name, mime: attachment.mime, size: attachment.size ?? null, path: null };
      const ids = { chat: message.chat, seq: message.seq, attachment: index };

      let data: Uint8Array;
      try {
        const downloaded = await downloader.fetch(message.chat, attachment, budget);
        data = downloaded.data;
        file.mime = await sniff(data, downloaded.mime || attachment.mime);
        file.size = data.byteLength;
        file.path = storeMedia(context.groupPath, `${message.seq}-${index + 1}`, name, data, Date.now());
      } catch (error) {
        const reason = error instanceof DownloadFailed ? error.message : `the file could not be stored: ${(error as Error).message}`;
        host.log.warn({ ...ids, reason }, "attachment not stored");
        return { ...file, error: reason };
      }

      if (whisperExtension(file.mime) === null && !(attachment.kind === "voice" || attachment.kind === "audio")) return file;
      if (!transcriber) return { ...file, error: "voice is not transcribed here: the media-whisper plugin has no transcription endpoint configured" };
      try {
        file.transcript = await transcriber.transcribe(data, whisperExtension(file.mime) ? file.mime : attachment.mime, budget, config.budgetMs);
        host.log.info({ ...ids, characters: file.transcript.length }, "voice transcribed");
      } catch (error) {
        const reason = error instanceof TranscriptionFailed ? error.message : (error as Error).message;
        host.log.warn({ ...ids, reason }, "transcription failed");
        file.error = `could not transcribe this audio: ${reason}`;
      }
      return file;
    };

    host.hooks.onEnrich.tap(async (enrichment, context) => {
      const attachments = context.message.attachments;
      if (attachments.length === 0) return enrichment;
      const budget = AbortSignal.timeout(config.budgetMs);
      const files = await Promise.all(attachments.map((attachment, index) => enrichFile(context, attachment, index, budget)));
      return { ...enrichment, files: [...(enrichment.files ?? []), ...files] };
    });
  },
});
