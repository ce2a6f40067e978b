import { z } from "zod";

// Pinning an agent's TLS certificate (docs/deploy.md): the console keeps the SHA-256 fingerprint
// of the certificate the agent serves and accepts that certificate only. Pure text handling here,
// so that the browser's form, the console and the agent share one definition.

/** What `openssl x509 -noout -fingerprint -sha256` prints before the hex; accepted and ignored. */
const OPENSSL_PREFIX = /^(sha-?256\s*fingerprint\s*=|sha-?256\s*[:=])\s*/i;

/**
 * A fingerprint in the one form the console stores and compares: 32 upper-case hex bytes joined
 * by colons ("AB:CD:…", as Node's `fingerprint256` and openssl print it). Returns null for
 * anything that is not 64 hex digits once colons, spaces and openssl's label are taken away.
 */
export function normaliseFingerprint(input: string): string | null {
  const hex = input.trim().replace(OPENSSL_PREFIX, "").replace(/[:\s]/g, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  return hex.toUpperCase().match(/../g)!.join(":");
}

/** Form and API input: empty means "no pinning" (undefined); anything else must be a SHA-256 fingerprint. */
export const ZTlsFingerprint = z
  .string()
  .max(200, "must be at most 200 characters")
  .transform((value, ctx) => {
    if (!value.trim()) return undefined;
    const normal = normaliseFingerprint(value);
    if (normal) return normal;
    const digits = value.trim().replace(OPENSSL_PREFIX, "").replace(/[:\s]/g, "");
    ctx.addIssue({
      code: "custom",
      message: /[^0-9a-fA-F]/.test(digits)
        ? "must be a SHA-256 fingerprint: 64 hexadecimal digits (0-9, A-F), colons allowed"
        : `must be a SHA-256 fingerprint: 64 hexadecimal digits, not ${digits.length}`,
    });
    return z.NEVER;
  })
  .optional();
