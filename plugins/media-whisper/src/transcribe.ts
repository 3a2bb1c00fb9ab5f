/**
 * Speech to text through an OpenAI-compatible `POST /v1/audio/transcriptions` (a local
 * Whisper server, or a hosted one). Whisper picks the decoder by the file's extension
 * and accepts only some, so the upload is named by the audio's type: a Telegram voice
 * note named `.oga` goes up as `.ogg`.
 */

export interface TranscriberConfig {
  /** e.g. `http://127.0.0.1:8000`; the path `/v1/audio/transcriptions` is added. */
  baseUrl: string;
  model: string;
  /** ISO 639-1 code, or none to let the server detect it. */
  language?: string;
  /** Sent as a bearer token; never logged. */
  apiKey?: string;
  timeoutMs: number;
}

/** Extensions Whisper decodes, by MIME type (parameters such as `; codecs=opus` removed). */
const EXTENSIONS: Record<string, string> = {
  "audio/ogg": "ogg",
  "audio/oga": "ogg",
  "audio/opus": "opus",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
  "audio/m4a": "m4a",
  "audio/aac": "m4a",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/vnd.wave": "wav",
  "audio/webm": "webm",
  "video/webm": "webm",
  "audio/flac": "flac",
  "audio/x-flac": "flac",
};

const baseType = (mime: string) => mime.split(";")[0]!.trim().toLowerCase();

/** Returns the extension to upload audio of this type under, or null when it is not audio Whisper takes. */
export function whisperExtension(mime: string): string | null {
  return EXTENSIONS[baseType(mime)] ?? null;
}

/** A transcription that failed, with the reason in words for the agent. */
export class TranscriptionFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TranscriptionFailed";
  }
}

/** Extracts the error message of a server's failure body: its JSON `error.message`, or its text without markup. */
function serverMessage(body: string): string {
  let text: string;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === "object" ? parsed.error?.message : parsed.error ?? parsed.message;
    text = typeof message === "string" ? message : body;
  } catch {
    text = body.replace(/<[^>]*>/g, " ");
  }
  text = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return text ? `: ${text}` : "";
}

export class Transcriber {
  private readonly endpoint: string;

  constructor(private readonly config: TranscriberConfig) {
    this.endpoint = `${config.baseUrl.replace(/\/+$/, "")}/v1/audio/transcriptions`;
  }

  /** Returns the text heard in `data`, of type `mime`; gives up when `budget` aborts. */
  async transcribe(data: Uint8Array, mime: string, budget: AbortSignal, budgetMs: number): Promise<string> {
    const extension = whisperExtension(mime);
    if (extension === null) throw new TranscriptionFailed(`${mime} is not an audio type the transcription server takes`);

    const form = new FormData();
    form.set("file", new Blob([data], { type: baseType(mime) }), `audio.${extension}`);
    form.set("model", this.config.model);
    form.set("response_format", "json");
    if (this.config.language) form.set("language", this.config.language);

    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        body: form,
        headers: this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {},
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), budget]),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (budget.aborted) throw new TranscriptionFailed(`the plugin's ${budgetMs / 1000} s budget for this message ran out (raise budgetMs together with hooks.timeoutsMs.onEnrich)`);
      if ((error as Error).name === "TimeoutError") throw new TranscriptionFailed(`the transcription server took longer than ${this.config.timeoutMs / 1000} s`);
      throw new TranscriptionFailed(`the transcription server at ${this.config.baseUrl} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }

    const body = await response.text();
    if (!response.ok) throw new TranscriptionFailed(`the transcription server returned HTTP ${response.status}${serverMessage(body)}`);
    try {
      const text = (JSON.parse(body) as { text?: unknown }).text;
      if (typeof text === "string") return text.trim();
    } catch {
      // Reported below.
    }
    throw new TranscriptionFailed("the transcription server returned no text field");
  }
}
