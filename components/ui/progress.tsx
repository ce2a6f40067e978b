import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils/cn";

export const progressBarVariants = cva("h-full rounded-full transition-[width] duration-300", {
  variants: { tone: { info: "bg-sky-500", good: "bg-emerald-500", warn: "bg-amber-500", bad: "bg-red-500" } },
  defaultVariants: { tone: "info" },
});

export type ProgressProps = VariantProps<typeof progressBarVariants> & {
  value: number;
  max: number;
  /** Accessible name, e.g. "Buffer fill of ITTask". */
  label: string;
  /** Read out instead of the bare number, e.g. "12 KB of 64 KB". */
  valueText?: string;
  className?: string;
};

export function Progress({ value, max, label, valueText, tone, className }: ProgressProps) {
  const pct = max > 0 ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-valuetext={valueText}
      className={cn("h-2 w-full overflow-hidden rounded-full bg-slate-200", className)}
    >
      <div className={progressBarVariants({ tone })} style={{ width: `${pct}%` }} />
    </div>
  );
}
