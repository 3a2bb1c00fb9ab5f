/**
 * The root pino logger. Plugins get children bound to `{ plugin }`. Values under keys
 * that usually hold secrets are redacted wherever they appear in a log object.
 */
import pino, { type DestinationStream, type Logger } from "pino";

export const REDACTED_KEYS = ["token", "secret", "password", "apiKey", "api_key", "authorization", "cookie"];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
