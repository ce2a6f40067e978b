import { buttonVariants } from "@/components/ui/button";
import { auditQueryToParams, type TAuditFilters } from "@/lib/data/audit/schemas";

// Plain links: the browser downloads the streamed file itself (Content-Disposition), however large.
export function ExportLinks({ filters }: { filters: TAuditFilters }) {
  const qs = auditQueryToParams(filters, { paging: false });
  qs.delete("size");
  const href = (format: "csv" | "json") => `/api/audit/export?format=${format}${qs.size ? `&${qs}` : ""}`;
  const cls = buttonVariants({ variant: "secondary", size: "sm" });
  return (
    <div className="flex items-center gap-2" role="group" aria-label="Export the filtered events">
      <span className="text-xs text-slate-500">Export every matching event:</span>
      <a href={href("csv")} download className={cls}>
        Export CSV
      </a>
      <a href={href("json")} download className={cls}>
        Export JSON
      </a>
    </div>
  );
}
