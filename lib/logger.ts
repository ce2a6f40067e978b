import pino from "pino";
import { env } from "@/lib/env";

// Structured JSON lines. Log ids and outcomes; secrets are redacted by path as a backstop.
const g = globalThis as typeof globalThis & { __batonLogger?: pino.Logger };

export const logger: pino.Logger = (g.__batonLogger ??= pino({
  name: "baton-console",
  level: env().LOG_LEVEL,
  redact: {
    paths: ["password", "token", "*.password", "*.token", "*.passwordHash", "*.tokenCiphertext", "headers.cookie", "headers.authorization"],
    censor: "[redacted]",
  },
}));
