// Structured JSON logs (pino). Secrets never reach a log line: known sensitive keys are redacted.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "qujat" },
      redact: {
        paths: [
          "password",
          "*.password",
          "token",
          "*.token",
          "pin",
          "*.pin",
          "req.headers.cookie",
          "req.headers.authorization",
        ],
        censor: "[redacted]",
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
