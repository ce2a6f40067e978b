import { formatDuration } from "@/components/sessions/format";
import { Tooltip } from "@/components/ui/tooltip";
import type { TSessionRow } from "@/lib/dto/sessions";

// Example 4 of the Disconnect-PSSession help: the session's idle timeout is above what its
// configuration now allows, which only shows once someone tries to disconnect it.
export function IdleTimeoutFlag({ session }: { session: Pick<TSessionRow, "idleTimeoutExceedsMax" | "idleTimeoutSec" | "maxIdleTimeoutSec" | "configurationName"> }) {
  if (!session.idleTimeoutExceedsMax || session.maxIdleTimeoutSec === null) return null;
  return (
    <Tooltip
      content={`Idle timeout ${session.idleTimeoutSec} s (${formatDuration(session.idleTimeoutSec)}) is above the ${session.maxIdleTimeoutSec} s (${formatDuration(session.maxIdleTimeoutSec)}) maximum ${session.configurationName} now allows. Disconnecting needs a lower idle timeout.`}
    >
      <span
        role="img"
        aria-label="Idle timeout above the configuration's maximum"
        className="inline-flex size-5 shrink-0 items-center justify-center rounded-full bg-amber-100 text-xs font-bold text-amber-800 ring-1 ring-amber-300"
      >
        !
      </span>
    </Tooltip>
  );
}
