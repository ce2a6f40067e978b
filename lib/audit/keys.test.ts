import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AuditKeyError, createAuditKeyring, publicKeyPem, readAuditKeyring, readPublicKeys, rotateAuditKeyring } from "@/lib/audit/keys";

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "baton-keys-")), "sub", "audit-keys.json");

describe("audit keyring", () => {
  it("is created once, readable only by its owner, and never replaced by a second init", () => {
    const file = tmpFile();
    const first = createAuditKeyring(file);
    expect(first.created).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = createAuditKeyring(file);
    expect(again).toMatchObject({ created: false });
    expect(again.keyring.current.id).toBe(first.keyring.current.id);
    expect(first.keyring.current.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("keeps old keys on rotation, and derives each id from its public key", () => {
    const file = tmpFile();
    const { keyring } = createAuditKeyring(file);
    const rotated = rotateAuditKeyring(file);
    expect(rotated.current.id).not.toBe(keyring.current.id);
    expect([...rotated.keys.keys()]).toEqual([keyring.current.id, rotated.current.id]);
    expect(rotated.keys.get(keyring.current.id)!.hmac.equals(keyring.current.hmac)).toBe(true);
    const pem = path.join(path.dirname(file), "pub.pem");
    fs.writeFileSync(pem, publicKeyPem(rotated.current.publicKey));
    expect([...readPublicKeys([pem]).keys()]).toEqual([rotated.current.id]);
  });

  it("names what is wrong with a damaged keyring, and reads a missing one as none", () => {
    const file = tmpFile();
    expect(readAuditKeyring(file)).toBeNull();
    createAuditKeyring(file);
    const content = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...content, keys: [{ ...content.keys[0], hmacKey: "abc" }] }));
    expect(() => readAuditKeyring(file)).toThrow(AuditKeyError);
    expect(() => readAuditKeyring(file)).toThrow(`audit keyring ${file} is not valid: keys.0.hmacKey: must be 64 hex digits`);
    fs.writeFileSync(file, JSON.stringify({ ...content, keys: [{ ...content.keys[0], id: "0123456789abcdef" }], current: "0123456789abcdef" }));
    expect(() => readAuditKeyring(file)).toThrow("key 0123456789abcdef does not match its signing key");
    fs.writeFileSync(file, JSON.stringify({ ...content, current: "ffffffffffffffff" }));
    expect(() => readAuditKeyring(file)).toThrow("current key ffffffffffffffff is not in the file");
  });
});
