"use client";
import { useEffect, useRef, type InputHTMLAttributes } from "react";
import { cn } from "@/lib/utils/cn";

export type CheckboxProps = Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { indeterminate?: boolean };

// A native checkbox (keyboard, labels and the checkbox role for free) with the mixed state
// that "some rows selected" needs, which HTML only exposes as a DOM property.
export function Checkbox({ className, indeterminate = false, ...props }: CheckboxProps) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className={cn("size-4 cursor-pointer rounded border-slate-300 accent-sky-600 disabled:cursor-not-allowed disabled:opacity-50", className)}
      {...props}
    />
  );
}
