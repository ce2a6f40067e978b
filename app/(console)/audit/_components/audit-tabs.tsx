import Link from "next/link";
import { cn } from "@/lib/utils/cn";

const TABS = [
  { key: "events", href: "/audit", label: "Events" },
  { key: "commands", href: "/audit/commands", label: "Commands" },
] as const;

// The auditor's two ways in: the event trail, and the commands run in sessions.
export function AuditTabs({ current }: { current: (typeof TABS)[number]["key"] }) {
  return (
    <nav aria-label="Audit views" className="mb-4 flex gap-1 border-b border-slate-200">
      {TABS.map((t) => (
        <Link
          key={t.key}
          href={t.href}
          aria-current={t.key === current ? "page" : undefined}
          className={cn(
            "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
            t.key === current ? "border-sky-600 text-sky-700" : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700",
          )}
        >
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
