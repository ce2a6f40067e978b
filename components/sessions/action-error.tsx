import { Alert } from "@/components/ui/card";

export type TActionFailure = { error: string; fieldErrors?: Record<string, string[]> };

const FIELD_LABEL: Record<string, string> = {
  idleTimeoutSec: "Idle timeout",
  outputBufferingMode: "Output buffering mode",
  throttleLimit: "Throttle limit",
  sessionIds: "Selection",
  computerId: "Computer",
  configurationName: "Configuration",
  name: "Name",
  command: "Command",
};

// A failed action's message, verbatim (the agent's words matter: Example 4 names the session,
// the value and both limits), plus any per-field messages the message does not already say.
export function ActionError({ failure, className }: { failure: TActionFailure | null; className?: string }) {
  if (!failure) return null;
  const fields = Object.entries(failure.fieldErrors ?? {})
    .map(([field, msgs]) => [field, msgs.filter((m) => !failure.error.includes(m))] as const)
    .filter(([, msgs]) => msgs.length > 0);
  return (
    <Alert className={className}>
      <p className="whitespace-pre-wrap break-words">{failure.error}</p>
      {fields.length ? (
        <ul className="mt-1 list-disc pl-5">
          {fields.map(([field, msgs]) => (
            <li key={field}>
              {FIELD_LABEL[field] ?? field.replace(/^limits\./, "")}: {msgs.join(" ")}
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
