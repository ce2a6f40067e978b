import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { TimelineClient } from "@/app/(console)/audit/sessions/[id]/timeline-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { getSessionTimeline } from "@/lib/data/audit/get-session-timeline";
import { AppError } from "@/lib/errors";

export const metadata: Metadata = { title: "Session timeline" };

export default async function SessionTimelinePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/audit/sessions/${encodeURIComponent(id)}`);
  if (!canSee(user.role, "audit")) return <Forbidden area="Audit" role={user.role} home={homeFor(user.role)} />;
  let timeline;
  try {
    timeline = await getSessionTimeline({ actor: user, sessionId: id });
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
    throw err;
  }
  const name = timeline.session?.name ?? timeline.recorded.name ?? id;
  const computer = timeline.session?.computerName ?? timeline.recorded.computerName;
  return (
    <>
      <Link href="/audit" className="mb-2 inline-block text-sm text-slate-500 hover:text-slate-800 hover:underline">
        ← Audit trail
      </Link>
      <PageHeader
        title={`Session ${name}${computer ? ` on ${computer}` : ""}`}
        description="Everything recorded about this session, in time order, and its transcript. Read-only: nothing here acts on the session."
        actions={
          <Link href={`/audit?session=${encodeURIComponent(id)}`} className="text-sm font-medium text-sky-700 hover:underline">
            This session in the audit trail →
          </Link>
        }
      />
      <TimelineClient initial={timeline} />
    </>
  );
}
