// Verifies the audit trail in the configured database against the signed checkpoints and names
// what is wrong. Exit code 0 when intact, 1 when not, 2 on error (bad arguments included).
// The full walk is the default: an auditor's verify re-hashes every event. --since-checkpoint is
// the routine check (well under a second at any length). See --help.
import { parseArgs } from "node:util";
import { describeVerification } from "../lib/audit/describe";
import { readPublicKeys } from "../lib/audit/keys";
import { verifyAuditChain, type TVerifyOptions } from "../lib/audit/verify";

const HELP = `Usage: npm run audit:verify -- [options]

Verifies the audit trail in DATABASE_URL against the signed checkpoints and names what is wrong.
Exit code 0 when intact, 1 when not, 2 on error.

Options:
  --public-key FILE    trust only this checkpoint public key (repeatable); MACs are then not
                       checked: an auditor's run, holding no secret. Default: the console's keyring
                       (BATON_AUDIT_KEY_FILE), MACs included.
  --checkpoints DIR    the signed checkpoints (default: BATON_AUDIT_CHECKPOINT_DIR)
  --since-checkpoint   the routine check: the checkpoints among themselves, then only the newest
                       checkpoint's event and the events after it. Events before it are not
                       re-read (the signed checkpoints and the last full verify cover them), so
                       this is not a full verify. Default: the full walk from the first event.
  -h, --help           this text`;

const started = Date.now();
try {
  const { values } = parseArgs({
    options: {
      "public-key": { type: "string", multiple: true },
      checkpoints: { type: "string" },
      "since-checkpoint": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const options: TVerifyOptions = { mode: values["since-checkpoint"] ? "since-checkpoint" : "full" };
  if (values.checkpoints) options.checkpointDir = values.checkpoints;
  if (values["public-key"]?.length) {
    options.trusted = readPublicKeys(values["public-key"]);
    options.hmacKeys = null;
  }
  const r = await verifyAuditChain(options);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const { headline, details } = describeVerification(r);
  console.log(r.ok ? `audit trail intact${headline.replace(/^Chain intact/, "")} verified in ${secs} s; head ${r.headHash.slice(0, 16)}…` : `audit trail BROKEN. ${headline}`);
  for (const d of details) console.log(`  ${d}`);
  if (!r.macsChecked) console.log("  Verified without the audit key: checkpoints by signature, events by their SHA-256 chain.");
  if (!r.ok) process.exitCode = 1;
} catch (err) {
  console.error(`audit verify failed: ${(err as Error).message}`);
  process.exitCode = 2;
}
