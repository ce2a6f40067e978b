/** Production minimum for IdleTimeoutSec (PowerShell's rule). */
export const MIN_IDLE_TIMEOUT_SEC = 60;

/** The Example 4 message of the Disconnect-PSSession help page, for disconnect or creation. */
export function idleTimeoutOutOfRangeMessage(opts: {
  sessionName: string;
  value: number;
  min: number;
  max: number;
  action: "disconnected" | "created" | "started in a disconnected session";
}): string {
  return (
    `The session ${opts.sessionName} cannot be ${opts.action} because the specified idle timeout value ` +
    `${opts.value} (seconds) is either greater than the server maximum allowed ${opts.max} (seconds) ` +
    `or less than the minimum allowed ${opts.min} (seconds). ` +
    `Choose an idle time out value that is within the allowed range and try again.`
  );
}
