/**
 * Small fakes on 127.0.0.1 for the media tests: an OpenAI-compatible transcription
 * server that, like Whisper, accepts only some file extensions, and a file server a
 * channel's attachment URLs point at.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Extensions Whisper accepts (fault case B24). */
export const WHISPER_EXTENSIONS = ["flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "opus", "wav", "webm"];

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface TranscriptionRequest {
  path: string;
  fileName: string;
  size: number;
  model: string | null;
  language: string | null;
  authorization: string | null;
}

export interface FakeWhisper {
  url: string;
  requests: TranscriptionRequest[];
  /** The status every request gets from now on; null for the normal 200. */
  failWith: number | null;
  /** How long the server waits before it replies, as a slow model does. */
  delayMs: number;
  close(): Promise<void>;
}

/** Returns `{ text: "heard <n> bytes in <file name>" }`, or 400 for an extension Whisper does not take. */
export async function fakeWhisper(): Promise<FakeWhisper> {
  const requests: TranscriptionRequest[] = [];
  const fake: FakeWhisper = { url: "", requests, failWith: null, delayMs: 0, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const form = await new Response(body, { headers: { "content-type": request.headers["content-type"] ?? "" } }).formData();
    const file = form.get("file") as File;
    requests.push({
      path: request.url ?? "",
      fileName: file.name,
      size: file.size,
      model: form.get("model") as string | null,
      language: form.get("language") as string | null,
      authorization: request.headers.authorization ?? null,
    });
    const extension = file.name.split(".").pop() ?? "";
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    if (response.destroyed) return;
    response.setHeader("content-type", "application/json");
    if (fake.failWith !== null) return response.writeHead(fake.failWith).end(JSON.stringify({ error: { message: "model crashed" } }));
    if (request.url !== "/v1/audio/transcriptions") return response.writeHead(404).end("{}");
    if (!WHISPER_EXTENSIONS.includes(extension)) {
      return response.writeHead(400).end(JSON.stringify({ error: { message: `Invalid file format. Supported formats: ${WHISPER_EXTENSIONS.join(", ")}` } }));
    }
    response.end(JSON.stringify({ text: ` heard ${file.size} bytes in ${file.name} ` }));
  });
  fake.url = await listen(server);
  return fake;
}

export interface FakeFileServer {
  url: string;
  /** Paths requested, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** Serves `files` by path; `/redirect?to=URL` redirects there with 302, and `/stall` never finishes. */
export async function fakeFileServer(files: Record<string, { data: Uint8Array; mime: string }>): Promise<FakeFileServer> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    hits.push(url.pathname);
    if (url.pathname === "/redirect") return response.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    // Sends the headers and then nothing, as a stuck server does.
    if (url.pathname === "/stall") return response.writeHead(200, { "content-type": "application/octet-stream" }).write("x");
    const file = files[url.pathname];
    if (!file) return response.writeHead(404).end("not found");
    response.writeHead(200, { "content-type": file.mime, "content-length": String(file.data.byteLength) }).end(file.data);
  });
  const url = await listen(server);
  return { url, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Builds the first page of an Ogg/Opus stream, as a Telegram voice note starts. */
export function opusVoiceNote(bytes = 9000): Buffer {
  const data = Buffer.alloc(bytes);
  data.write("OggS", 0, "latin1");
  data[5] = 2;
  data[26] = 1;
  data[27] = 19;
  data.write("OpusHead", 28, "latin1");
  data[36] = 1;
  data[37] = 1;
  return data;
}
