"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { AREA_LABEL, type TArea } from "@/lib/auth/roles";
import { cn } from "@/lib/utils/cn";

export function NavLinks({ areas }: { areas: readonly TArea[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Console" className="flex gap-1">
      {areas.map((area) => {
        const href = `/${area}`;
        const active = pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={area}
            href={href}
            aria-current={active ? "page" : undefined}
            className={cn(
              "rounded-md px-3 py-1.5 text-sm font-medium",
              active ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800/60 hover:text-white",
            )}
          >
            {AREA_LABEL[area]}
          </Link>
        );
      })}
    </nav>
  );
}
