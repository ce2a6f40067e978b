import { StateBadge } from "@/components/sessions/state-badge";
import { Badge } from "@/components/ui/badge";
import type { TPreviewItem } from "@/lib/dto/sessions";

// The "what if" list: which sessions, on which computers, and the state each would end in.
export function PreviewList({ items, label }: { items: TPreviewItem[]; label: string }) {
  const refused = items.filter((i) => i.resultingState === null).length;
  return (
    <div>
      <p className="mb-2 text-sm text-slate-600">
        {items.length === 1 ? "1 session" : `${items.length.toLocaleString("en-US")} sessions`}
        {refused ? `, of which ${refused} would be refused` : ""}.
      </p>
      <div className="max-h-72 overflow-y-auto rounded-md border border-slate-200">
        <table className="w-full text-left text-sm" aria-label={label}>
          <thead className="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" className="px-3 py-1.5 font-medium">Name</th>
              <th scope="col" className="px-3 py-1.5 font-medium">Computer</th>
              <th scope="col" className="px-3 py-1.5 font-medium">Now</th>
              <th scope="col" className="px-3 py-1.5 font-medium">After</th>
              <th scope="col" className="px-3 py-1.5 font-medium">Note</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((i) => (
              <tr key={i.sessionId}>
                <td className="px-3 py-1.5 font-medium">{i.name}</td>
                <td className="px-3 py-1.5">{i.computerName}</td>
                <td className="px-3 py-1.5">
                  <StateBadge state={i.state} />
                </td>
                <td className="px-3 py-1.5">{i.resultingState ? <StateBadge state={i.resultingState} /> : <Badge tone="bad">refused</Badge>}</td>
                <td className="px-3 py-1.5 text-xs text-slate-600">{i.note ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
