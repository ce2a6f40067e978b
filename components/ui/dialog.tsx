"use client";
import { cva, type VariantProps } from "class-variance-authority";
import { useEffect, useId, useRef, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { cn } from "@/lib/utils/cn";

// A modal on the native <dialog> element: the browser supplies focus trapping, Escape, the
// top layer and the dialog role. Mounted only while open, so its form state starts fresh, and
// portalled to <body> so it inherits nothing from where it is opened (a table cell, say).
export const dialogVariants = cva(
  "m-auto max-h-[90vh] text-left text-sm font-normal whitespace-normal normal-case tracking-normal w-[calc(100%-2rem)] overflow-y-auto rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/40",
  {
    variants: { size: { sm: "max-w-md", md: "max-w-xl", lg: "max-w-3xl" } },
    defaultVariants: { size: "md" },
  },
);

export type DialogProps = VariantProps<typeof dialogVariants> & {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  className?: string;
};

export function Dialog({ open, onOpenChange, title, description, children, footer, size, className }: DialogProps) {
  if (!open) return null;
  return (
    <DialogSurface onOpenChange={onOpenChange} title={title} description={description} footer={footer} size={size} className={className}>
      {children}
    </DialogSurface>
  );
}

function DialogSurface({ onOpenChange, title, description, children, footer, size, className }: Omit<DialogProps, "open">) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useEffect(() => {
    const dialog = ref.current;
    // No close() on cleanup: removal takes it out of the top layer, and a queued close event
    // would shut the dialog Strict Mode just re-opened.
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return createPortal(
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      className={cn(dialogVariants({ size }), className)}
      onClose={() => onOpenChange(false)}
      onMouseDown={(e) => {
        // A press on the backdrop lands on the <dialog> itself, never on its content.
        if (e.target === e.currentTarget) onOpenChange(false);
      }}
    >
      <div className="border-b border-slate-100 px-5 py-4">
        <h2 id={titleId} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        {description ? (
          <p id={descriptionId} className="mt-1 text-sm text-slate-500">
            {description}
          </p>
        ) : null}
      </div>
      <div className="space-y-4 px-5 py-4">{children}</div>
      {footer ? <div className="flex flex-wrap justify-end gap-2 border-t border-slate-100 bg-slate-50 px-5 py-3">{footer}</div> : null}
    </dialog>,
    document.body,
  );
}
