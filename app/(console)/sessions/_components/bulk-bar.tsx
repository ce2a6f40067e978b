"use client";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import type { TBulkOperation } from "@/lib/dto/sessions";

export type BulkBarProps = {
  count: number;
  allMatching: boolean;
  throttleLimit: string;
  onThrottleLimit: (v: string) => void;
  onStart: (op: TBulkOperation) => void;
  onClear: () => void;
};

// What to do with the selection; each button leads to a preview before anything happens.
export function BulkBar({ count, allMatching, throttleLimit, onThrottleLimit, onStart, onClear }: BulkBarProps) {
  const what = allMatching ? `all ${count.toLocaleString("en-US")} matching` : `${count.toLocaleString("en-US")} selected`;
  return (
    <section aria-label="Bulk actions" className="flex flex-wrap items-end gap-3 rounded-lg border border-sky-200 bg-sky-50 px-3 py-2">
      <p className="self-center text-sm font-medium text-sky-900" aria-live="polite">
        {allMatching ? `All ${count.toLocaleString("en-US")} sessions matching the filter` : `${count} ${count === 1 ? "session" : "sessions"} selected`}
      </p>
      <div className="flex flex-wrap gap-2">
        <Button size="sm" variant="secondary" onClick={() => onStart("disconnect")}>
          Disconnect {what}
        </Button>
        <Button size="sm" variant="secondary" onClick={() => onStart("connect")}>
          Connect {what}
        </Button>
        <Button size="sm" variant="secondary" onClick={() => onStart("receive")}>
          Receive {what}
        </Button>
        <Button size="sm" variant="danger" onClick={() => onStart("remove")}>
          Remove {what}
        </Button>
      </div>
      <div className="flex items-center gap-2">
        <Label htmlFor="bulk-throttle" className="text-xs">
          Throttle limit
        </Label>
        <Input
          id="bulk-throttle"
          type="number"
          min={1}
          max={256}
          inputMode="numeric"
          value={throttleLimit}
          onChange={(e) => onThrottleLimit(e.target.value)}
          className="h-8 w-20"
          aria-describedby="bulk-throttle-hint"
        />
        <span id="bulk-throttle-hint" className="text-xs text-slate-500">
          at most this many requests to computers at once (1–256)
        </span>
      </div>
      <Button size="sm" variant="ghost" className="ml-auto" onClick={onClear}>
        Clear selection
      </Button>
    </section>
  );
}
