import { useId, type ReactNode } from "react";
import { cn } from "@/lib/utils/cn";

export type TooltipProps = {
  content: ReactNode;
  children: ReactNode;
  side?: "top" | "bottom";
  className?: string;
};

// Shown on hover and on keyboard focus; the trigger is focusable and described by the tip,
// so screen readers hear it too. CSS only: no portal, so keep tips short.
export function Tooltip({ content, children, side = "top", className }: TooltipProps) {
  const id = useId();
  return (
    <span className={cn("group relative inline-flex", className)}>
      <span tabIndex={0} aria-describedby={id} className="inline-flex rounded focus-visible:outline-2 focus-visible:outline-sky-500">
        {children}
      </span>
      <span
        role="tooltip"
        id={id}
        className={cn(
          "pointer-events-none invisible absolute left-1/2 z-20 w-max max-w-72 -translate-x-1/2 rounded-md bg-slate-900 px-2.5 py-1.5 text-xs font-normal normal-case tracking-normal text-white opacity-0 shadow-lg transition-opacity group-focus-within:visible group-focus-within:opacity-100 group-hover:visible group-hover:opacity-100",
          side === "top" ? "bottom-full mb-1.5" : "top-full mt-1.5",
        )}
      >
        {content}
      </span>
    </span>
  );
}
