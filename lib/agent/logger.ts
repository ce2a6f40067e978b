import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(opts: { name: string; level: string }): Logger {
  return pino({
    level: opts.level,
    base: { agent: opts.name, pid: process.pid },
    // Belt and braces: the token is never passed to the logger, but redact the usual places anyway.
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "headers.authorization"], censor: "[redacted]" },
  });
}
