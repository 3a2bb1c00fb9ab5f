/**
 * The root pino logger. Plugins get children bound to `{ plugin }`. Values under keys
 * that usually hold secrets are redacted wherever they appear in a log object, and the
 * config's secret values are replaced wherever they appear in a line (an error message
 * that quotes a URL with a token in it).
 */
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import { scrubber } from "./secrets.js";

export const REDACTED_KEYS = ["token", "secret", "password", "apiKey", "api_key", "authorization", "cookie"];

export function createLogger(level: string, destination?: DestinationStream, secrets: string[] = []): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const scrub = scrubber(secrets);
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths, censor: "[redacted]" },
      hooks: { streamWrite: scrub },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Returns where `arizuko start` writes its log: pino's JSON lines on standard output, or, when
 * that is a terminal, the same lines made readable by pino-pretty. Secrets are scrubbed
 * before either receives a line.
 */
export function logDestination(tty = process.stdout.isTTY === true, output?: NodeJS.WritableStream): DestinationStream {
  if (!tty) return output ? (output as DestinationStream) : pino.destination({ dest: 1, sync: false });
  return pretty({ colorize: output === undefined, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", sync: true, ...(output && { destination: output }) });
}
