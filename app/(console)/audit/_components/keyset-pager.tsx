import Link from "next/link";
import { Label, Select } from "@/components/ui/input";
import { AUDIT_DEFAULT_PAGE_SIZE, AUDIT_PAGE_SIZES } from "@/lib/data/audit/schemas";
import { cn } from "@/lib/utils/cn";

type TProps = {
  /** Where "Newer" and "Older" go; null at that end. */
  newerHref: string | null;
  olderHref: string | null;
  /** Back to the first page, when not on it. */
  newestHref: string | null;
  size: number;
  onSize: (n: number) => void;
  label: string;
};

const link = "inline-flex h-8 items-center rounded-md border border-slate-300 bg-white px-2.5 text-sm font-medium text-slate-800 hover:bg-slate-50";
const off = "pointer-events-none opacity-50";

// Keyset paging: no page numbers or totals (counting a million rows per page view is what
// keyset paging avoids), only the neighbours of the page on screen.
export function KeysetPager({ newerHref, olderHref, newestHref, size, onSize, label }: TProps) {
  // Everything fits on one page of the default size: nothing to page through.
  if (!newerHref && !olderHref && !newestHref && size === AUDIT_DEFAULT_PAGE_SIZE) return null;
  return (
    <nav aria-label={label} className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
      {newestHref ? (
        <Link href={newestHref} className={link}>
          ⇤ Newest
        </Link>
      ) : null}
      <Link href={newerHref ?? "#"} aria-disabled={!newerHref} tabIndex={newerHref ? undefined : -1} className={cn(link, !newerHref && off)}>
        ← Newer
      </Link>
      <Link href={olderHref ?? "#"} aria-disabled={!olderHref} tabIndex={olderHref ? undefined : -1} className={cn(link, !olderHref && off)}>
        Older →
      </Link>
      <div className="ml-auto flex items-center gap-2">
        <Label htmlFor={`${label}-size`} className="text-xs font-normal text-slate-500">
          Per page
        </Label>
        <Select id={`${label}-size`} className="h-8 w-24" value={size} onChange={(e) => onSize(Number(e.target.value))}>
          {AUDIT_PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </Select>
      </div>
    </nav>
  );
}
