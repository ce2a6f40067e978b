import type { Metadata } from "next";
import { AuditClient } from "@/app/(console)/audit/audit-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { listAuditEvents } from "@/lib/data/audit/list-audit-events";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage() {
  const user = await requireUser("/audit");
  if (!canSee(user.role, "audit")) return <Forbidden area="Audit" role={user.role} home={homeFor(user.role)} />;
  const page = await listAuditEvents({ actor: user });
  return (
    <>
      <PageHeader title="Audit trail" description="Every action, allowed or refused, newest first. Append-only and hash-chained." />
      <AuditClient initialPage={page} />
    </>
  );
}
