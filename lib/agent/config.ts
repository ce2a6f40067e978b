import fs from "node:fs";
import { DEFAULT_CONFIGURATION, MIN_IDLE_TIMEOUT_SEC, ZAgentConfigFile, type TSessionConfiguration } from "../protocol";

/**
 * Loads the session configurations. Without a file the agent hosts Microsoft.PowerShell with
 * the DESIGN.md defaults; a file adds configurations (fields it omits take the defaults) and
 * may redefine Microsoft.PowerShell.
 */
export function loadConfigurations(file: string | undefined): TSessionConfiguration[] {
  const byName = new Map<string, TSessionConfiguration>([[DEFAULT_CONFIGURATION.name.toLowerCase(), DEFAULT_CONFIGURATION]]);
  if (!file) return [...byName.values()];
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  const parsed = ZAgentConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`configuration file ${file} is invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  for (const c of parsed.data.configurations) {
    const full: TSessionConfiguration = { ...DEFAULT_CONFIGURATION, ...c };
    if (full.idleTimeoutMs > full.maxIdleTimeoutMs) {
      throw new Error(`configuration ${c.name}: idleTimeoutMs (${full.idleTimeoutMs}) exceeds maxIdleTimeoutMs (${full.maxIdleTimeoutMs})`);
    }
    byName.set(c.name.toLowerCase(), full);
  }
  return [...byName.values()];
}

/**
 * The minimum IdleTimeoutSec. Production keeps PowerShell's 60 s; the test suite may lower it
 * (BATON_AGENT_MIN_IDLE_SEC) to watch idle expiry without waiting a minute, and only when
 * NODE_ENV is "test".
 */
export function minIdleTimeoutSec(env: NodeJS.ProcessEnv): { value: number; overridden: boolean } {
  const raw = env.BATON_AGENT_MIN_IDLE_SEC;
  if (raw && env.NODE_ENV === "test") {
    const n = Number(raw);
    if (Number.isInteger(n) && n >= 1 && n <= MIN_IDLE_TIMEOUT_SEC) return { value: n, overridden: true };
  }
  return { value: MIN_IDLE_TIMEOUT_SEC, overridden: false };
}
