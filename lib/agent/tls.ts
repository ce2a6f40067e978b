import crypto from "node:crypto";
import fs from "node:fs";
import tls from "node:tls";

export type TTlsFiles = { cert: Buffer; key: Buffer };

/**
 * Reads the agent's certificate and key, checks that they belong together (a mismatch would
 * otherwise only show at the first handshake) and returns them with the certificate's SHA-256
 * fingerprint, which the console pins (docs/deploy.md). With a chain in the file, the first
 * certificate is the agent's own and the one fingerprinted.
 */
export function loadTlsFiles(certFile: string, keyFile: string): TTlsFiles & { fingerprint: string } {
  const cert = fs.readFileSync(certFile);
  const key = fs.readFileSync(keyFile);
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`${certFile} and ${keyFile} cannot be used together: ${(err as Error).message}`);
  }
  return { cert, key, fingerprint: certificateFingerprint(cert, certFile) };
}

/** The SHA-256 fingerprint of a PEM certificate, as "AB:CD:…" (what the console stores). */
export function certificateFingerprint(pem: Buffer, file = "the certificate"): string {
  try {
    return new crypto.X509Certificate(pem).fingerprint256;
  } catch (err) {
    throw new Error(`${file} is not a PEM certificate: ${(err as Error).message}`);
  }
}
