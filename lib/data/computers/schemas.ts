import { z } from "zod";
import { refuseInvisible } from "@/lib/protocol/hygiene";
import { ZTlsFingerprint } from "@/lib/protocol/tls-fingerprint";

export const ZComputerName = z
  .string()
  .trim()
  .min(1, "is required")
  .max(64, "must be at most 64 characters")
  .superRefine(refuseInvisible)
  .regex(/^[A-Za-z0-9._-]+$/, "may contain letters, digits, dot, dash and underscore only");

export const FINGERPRINT_NEEDS_HTTPS = "a fingerprint needs https: pinning checks the agent's TLS certificate, and an http:// address has none";

export const ZRegisterComputer = z
  .object({
    name: ZComputerName,
    address: z
      .string()
      .trim()
      .url("must be a URL like http://host:5985")
      .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://")
      .transform((u) => u.replace(/\/+$/, "")),
    token: z.string().min(16, "must be at least 16 characters").max(512, "must be at most 512 characters"),
    /** SHA-256 of the agent's certificate; empty or absent: https checks the certificate against trusted CAs. */
    tlsFingerprint: ZTlsFingerprint,
  })
  .superRefine((v, ctx) => {
    if (v.tlsFingerprint && !v.address.startsWith("https://")) ctx.addIssue({ code: "custom", path: ["tlsFingerprint"], message: FINGERPRINT_NEEDS_HTTPS });
  });

// Numbers arrive as numbers (the form converts with parseDecimal); strings and arrays are refused.
const positive = (max: number) => z.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`);

export const ZUpdateConfiguration = z.object({
  computerId: z.string().regex(/^[a-z0-9]{20,40}$/, "is not a valid id"),
  configurationName: z.string().min(1).max(128),
  limits: z
    .object({
      idleTimeoutMs: positive(2_147_483_647),
      maxIdleTimeoutMs: positive(2_147_483_647),
      outputBufferingMode: z.enum(["Block", "Drop"]),
      outputBufferBytes: z.number({ error: "must be a whole number" }).int("must be a whole number").min(4096, "must be at least 4096").max(256 * 1024 * 1024),
      maxShells: positive(100_000),
      maxShellsPerUser: positive(100_000),
      maxConcurrentUsers: positive(100_000),
      maxMemoryPerShellMB: positive(1_048_576),
      maxProcessesPerShell: positive(1_000_000),
    })
    .partial()
    .refine((l) => Object.keys(l).length > 0, "change at least one limit"),
});
