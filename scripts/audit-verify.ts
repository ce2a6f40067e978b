// Verifies the audit trail in the configured database against the signed checkpoints and names
// what is wrong. Exit code 0 when intact, 1 when not, 2 on error (bad arguments included).
//
//   npm run audit:verify                  as the console: the keyring (MACs) and its public keys
//   npm run audit:verify -- --public-key audit-public-<id>.pem [--public-key …] --checkpoints DIR
//                                         as an auditor holding no secret: only the given public
//                                         keys are trusted, MACs are not checked
import { parseArgs } from "node:util";
import { describeVerification } from "../lib/audit/describe";
import { readPublicKeys } from "../lib/audit/keys";
import { verifyAuditChain, type TVerifyOptions } from "../lib/audit/verify";

const started = Date.now();
try {
  const { values } = parseArgs({
    options: {
      "public-key": { type: "string", multiple: true },
      checkpoints: { type: "string" },
    },
  });
  const options: TVerifyOptions = {};
  if (values.checkpoints) options.checkpointDir = values.checkpoints;
  if (values["public-key"]?.length) {
    options.trusted = readPublicKeys(values["public-key"]);
    options.hmacKeys = null;
  }
  const r = await verifyAuditChain(options);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const { headline, details } = describeVerification(r);
  console.log(r.ok ? `audit trail intact: ${headline.replace(/^Chain intact: /, "")} verified in ${secs} s; head ${r.headHash.slice(0, 16)}…` : `audit trail BROKEN. ${headline}`);
  for (const d of details) console.log(`  ${d}`);
  if (!r.macsChecked) console.log("  Verified without the audit key: checkpoints by signature, events by their SHA-256 chain.");
  if (!r.ok) process.exitCode = 1;
} catch (err) {
  console.error(`audit verify failed: ${(err as Error).message}`);
  process.exitCode = 2;
}
