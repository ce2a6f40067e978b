// Verifies the whole audit hash chain in the configured database and names the first broken
// link. Exit code 0 when intact, 1 when broken, 2 on error. Usage: npm run audit:verify
import { verifyAuditChain } from "../lib/audit/verify";

const started = Date.now();
try {
  const r = await verifyAuditChain();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.ok) {
    console.log(`audit chain intact: ${r.count} events verified in ${secs} s; head ${r.headHash.slice(0, 16)}…`);
  } else {
    console.log(`audit chain BROKEN at event #${r.brokenAt}: ${r.reason} (${r.count} events verified before it, ${secs} s)`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`audit verify failed: ${(err as Error).message}`);
  process.exitCode = 2;
}
