import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { SessionClient } from "@/app/(console)/sessions/[id]/session-client";
import { Forbidden } from "@/components/console/forbidden";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor, SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import { getSessionDetail } from "@/lib/data/sessions/get-session-detail";
import type { TSessionDetail } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";

export const metadata: Metadata = { title: "Session" };

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/sessions/${encodeURIComponent(id)}`);
  if (!canSee(user.role, "sessions")) return <Forbidden area="Sessions" role={user.role} home={homeFor(user.role)} />;
  let detail: TSessionDetail | null = null;
  try {
    detail = await getSessionDetail({ actor: user, id });
  } catch (err) {
    if (!(err instanceof AppError && (err.code === "NOT_FOUND" || err.code === "FORBIDDEN"))) throw err;
  }
  // notFound() throws: outside the try so it is not caught above.
  if (!detail) notFound();
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href="/sessions" className="hover:underline">
          Sessions
        </Link>{" "}
        / <span className="text-slate-700">{detail.session.name}</span>
      </nav>
      <SessionClient
        initialDetail={detail}
        viewer={{ id: user.id, username: user.username, role: user.role, canAct: SESSION_ACTOR_ROLES.includes(user.role) }}
      />
    </>
  );
}
