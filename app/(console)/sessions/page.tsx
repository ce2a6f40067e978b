import type { Metadata } from "next";
import { SessionsClient } from "@/app/(console)/sessions/sessions-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor, SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import { listComputers } from "@/lib/data/computers/list-computers";
import { listSessions } from "@/lib/data/sessions/list-sessions";
import { parseSessionFilters } from "@/lib/queries/sessions";

export const metadata: Metadata = { title: "Sessions" };

export default async function SessionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/sessions");
  if (!canSee(user.role, "sessions")) return <Forbidden area="Sessions" role={user.role} home={homeFor(user.role)} />;
  const { filters } = parseSessionFilters(await searchParams);
  const [page, computers] = await Promise.all([listSessions({ actor: user, filters }), listComputers({ actor: user })]);
  const scope = user.role === "technician" ? "Your sessions" : "All sessions on the fleet";
  const readOnly = user.role === "helpdesk" ? " Read-only: help desk watches, it does not act." : "";
  return (
    <>
      <PageHeader title="Sessions" description={`${scope}, by computer, name, state and availability. Updates arrive live.${readOnly}`} />
      <SessionsClient
        initial={{ filters, page }}
        initialComputers={computers}
        viewer={{ id: user.id, username: user.username, role: user.role, canAct: SESSION_ACTOR_ROLES.includes(user.role) }}
      />
    </>
  );
}
