// The audit keyring (BATON_AUDIT_KEY_FILE, default data/audit-keys.json outside production):
//
//   npm run audit:keys -- init             create it with one key pair (production does this once)
//   npm run audit:keys -- rotate           add a fresh key pair and make it current; older pairs
//                                          stay so their events and checkpoints still verify.
//                                          Restart every console instance afterwards.
//   npm run audit:keys -- public [--out DIR]
//                                          print every public key (PEM), or write each to
//                                          DIR/audit-public-<id>.pem, for auditors
//
// No command prints a secret.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { auditPaths, parseEnv } from "../lib/env";
import { createAuditKeyring, publicKeyPem, readAuditKeyring, rotateAuditKeyring } from "../lib/audit/keys";

try {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: "string" } } });
  const { keyFile } = auditPaths(parseEnv(process.env));
  const [command] = positionals;
  switch (command) {
    case "init": {
      const { keyring, created } = createAuditKeyring(keyFile);
      console.log(created ? `created ${keyFile} with key ${keyring.current.id}` : `${keyFile} already exists (current key ${keyring.current.id}); nothing changed`);
      break;
    }
    case "rotate": {
      const keyring = rotateAuditKeyring(keyFile);
      console.log(`key ${keyring.current.id} is now current in ${keyFile} (${keyring.keys.size} keys kept); restart the console instances to use it`);
      break;
    }
    case "public": {
      const keyring = readAuditKeyring(keyFile);
      if (!keyring) throw new Error(`no audit keyring at ${keyFile}`);
      for (const key of keyring.keys.values()) {
        const pem = publicKeyPem(key.publicKey);
        if (values.out) {
          fs.mkdirSync(values.out, { recursive: true });
          const file = path.join(values.out, `audit-public-${key.id}.pem`);
          fs.writeFileSync(file, pem);
          console.log(`wrote ${file}`);
        } else {
          console.log(`# key ${key.id}, created ${key.createdAt}${key.id === keyring.current.id ? " (current)" : ""}\n${pem}`);
        }
      }
      break;
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(command ?? "")}; use init, rotate or public [--out DIR]`);
  }
} catch (err) {
  console.error(`audit keys: ${(err as Error).message}`);
  process.exitCode = 1;
}
