import { Button } from "@/components/ui/button";
import { Label, Select } from "@/components/ui/input";

const SIZES = [25, 50, 100, 200];

/** `totalCapped`: the count stopped at `total` and more match ("1,000+"): Next stays open past it. */
export function Pager({ page, pageSize, total, totalCapped = false, onPage, onPageSize }: { page: number; pageSize: number; total: number; totalCapped?: boolean; onPage: (p: number) => void; onPageSize: (n: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const plus = totalCapped ? "+" : "";
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
      <span aria-live="polite">
        {from.toLocaleString("en-US")}–{to.toLocaleString("en-US")} of {total.toLocaleString("en-US")}
        {plus}
      </span>
      <div className="ml-auto flex items-center gap-2">
        <Label htmlFor="page-size" className="text-xs font-normal text-slate-500">
          Per page
        </Label>
        <Select id="page-size" className="h-8 w-24" value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
          {(SIZES.includes(pageSize) ? SIZES : [...SIZES, pageSize].sort((a, b) => a - b)).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </Select>
        <Button size="sm" variant="secondary" onClick={() => onPage(page - 1)} disabled={page <= 1}>
          Previous
        </Button>
        <span className="tabular-nums">
          Page {page} of {pages.toLocaleString("en-US")}
          {plus}
        </span>
        <Button size="sm" variant="secondary" onClick={() => onPage(page + 1)} disabled={page >= pages && !totalCapped}>
          Next
        </Button>
      </div>
    </nav>
  );
}
