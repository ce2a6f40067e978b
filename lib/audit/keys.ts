import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { auditKeysMayBeGenerated, auditPaths, env } from "@/lib/env";

// The audit keyring: secrets kept outside the database (docs/security.md, "Audit integrity").
// Each key pair is an HMAC key (links every event to a secret) and an Ed25519 signing key
// (signs checkpoints). Its id is derived from the public key, so an auditor holding only the
// public key can tell which checkpoints it covers. Old pairs stay in the file after a rotation
// so that events and checkpoints made under them still verify.

export type TAuditKey = { id: string; createdAt: string; hmac: Buffer; signing: KeyObject; publicKey: KeyObject };
export type TAuditKeyring = { file: string; current: TAuditKey; keys: Map<string, TAuditKey> };

const ZKeyringFile = z.object({
  format: z.literal("baton-audit-keys/1"),
  current: z.string().min(1),
  keys: z
    .array(
      z.object({
        id: z.string().regex(/^[0-9a-f]{16}$/),
        createdAt: z.string(),
        hmacKey: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hex digits"),
        signingKey: z.string().includes("PRIVATE KEY"),
      }),
    )
    .min(1),
});
type TKeyringFile = z.infer<typeof ZKeyringFile>;

export class AuditKeyError extends Error {}

/** Key id: the first 16 hex digits of SHA-256 over the public key (SPKI DER). */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

export const publicKeyPem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();

function newEntry(): TKeyringFile["keys"][number] {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    id: auditKeyId(publicKey),
    createdAt: new Date().toISOString(),
    hmacKey: randomBytes(32).toString("hex"),
    signingKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function parseKeyring(file: string, text: string): TAuditKeyring {
  let parsed: TKeyringFile;
  try {
    const result = ZKeyringFile.safeParse(JSON.parse(text));
    if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    parsed = result.data;
  } catch (err) {
    throw new AuditKeyError(`audit keyring ${file} is not valid: ${(err as Error).message}`);
  }
  const keys = new Map<string, TAuditKey>();
  for (const k of parsed.keys) {
    let signing: KeyObject;
    try {
      signing = createPrivateKey(k.signingKey);
    } catch (err) {
      throw new AuditKeyError(`audit keyring ${file}: key ${k.id} has an unreadable signing key (${(err as Error).message})`);
    }
    const publicKey = createPublicKey(signing);
    if (signing.asymmetricKeyType !== "ed25519" || auditKeyId(publicKey) !== k.id) {
      throw new AuditKeyError(`audit keyring ${file}: key ${k.id} does not match its signing key`);
    }
    keys.set(k.id, { id: k.id, createdAt: k.createdAt, hmac: Buffer.from(k.hmacKey, "hex"), signing, publicKey });
  }
  const current = keys.get(parsed.current);
  if (!current) throw new AuditKeyError(`audit keyring ${file}: current key ${parsed.current} is not in the file`);
  return { file, current, keys };
}

/** The keyring at `file`, or null when there is none. Never creates one. */
export function readAuditKeyring(file: string): TAuditKeyring | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new AuditKeyError(`audit keyring ${file} cannot be read: ${(err as Error).message}`);
  }
  return parseKeyring(file, text);
}

function writeKeyringFile(file: string, content: TKeyringFile, { exclusive }: { exclusive: boolean }): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    // link() refuses to replace an existing file: two processes creating at once keep one keyring.
    if (exclusive) fs.linkSync(tmp, file);
    else fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Creates a keyring with one fresh key pair; returns the existing one if the file is there. */
export function createAuditKeyring(file: string): { keyring: TAuditKeyring; created: boolean } {
  const existing = readAuditKeyring(file);
  if (existing) return { keyring: existing, created: false };
  const entry = newEntry();
  try {
    writeKeyringFile(file, { format: "baton-audit-keys/1", current: entry.id, keys: [entry] }, { exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return { keyring: readAuditKeyring(file)!, created: false };
  }
  return { keyring: readAuditKeyring(file)!, created: true };
}

/** Adds a fresh key pair and makes it current; older pairs stay for verification. */
export function rotateAuditKeyring(file: string): TAuditKeyring {
  const text = fs.readFileSync(file, "utf8");
  parseKeyring(file, text);
  const content = ZKeyringFile.parse(JSON.parse(text));
  const entry = newEntry();
  writeKeyringFile(file, { ...content, current: entry.id, keys: [...content.keys, entry] }, { exclusive: false });
  return readAuditKeyring(file)!;
}

/** Public keys by id, read from PEM files (what an auditor holds). */
export function readPublicKeys(files: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const f of files) {
    let key: KeyObject;
    try {
      key = createPublicKey(fs.readFileSync(f, "utf8"));
    } catch (err) {
      throw new AuditKeyError(`public key ${f} cannot be read: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== "ed25519") throw new AuditKeyError(`public key ${f} is ${key.asymmetricKeyType}, not Ed25519`);
    keys.set(auditKeyId(key), key);
  }
  return keys;
}

const g = globalThis as typeof globalThis & { __batonAuditKeyring?: TAuditKeyring };

/**
 * The console's keyring, read once per process (a rotation takes effect at the next start).
 * Development and demo consoles create it on first use; production requires it to exist.
 */
export function auditKeyring(): TAuditKeyring {
  if (g.__batonAuditKeyring) return g.__batonAuditKeyring;
  const { keyFile } = auditPaths(env());
  let keyring = readAuditKeyring(keyFile);
  if (!keyring) {
    if (!auditKeysMayBeGenerated(env())) {
      throw new AuditKeyError(`audit keyring not found at ${keyFile} (BATON_AUDIT_KEY_FILE); create it with: npm run audit:keys -- init`);
    }
    keyring = createAuditKeyring(keyFile).keyring;
  }
  g.__batonAuditKeyring = keyring;
  return keyring;
}

/** Drops the cached keyring (tests that rotate or replace it). */
export function forgetAuditKeyring(): void {
  g.__batonAuditKeyring = undefined;
}
