import type { Metadata } from "next";
import { AuditClient } from "@/app/(console)/audit/audit-client";
import { AuditTabs } from "@/app/(console)/audit/_components/audit-tabs";
import { VerifyBadge } from "@/app/(console)/audit/_components/verify-badge";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { listAuditActions } from "@/lib/data/audit/list-audit-actions";
import { listAuditEvents, type TAuditPage } from "@/lib/data/audit/list-audit-events";
import { parseAuditQuery } from "@/lib/data/audit/schemas";
import { AppError } from "@/lib/errors";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/audit");
  if (!canSee(user.role, "audit")) return <Forbidden area="Audit" role={user.role} home={homeFor(user.role)} />;
  const parsed = parseAuditQuery(await searchParams);
  const [page, actions] = await Promise.all([parsed.ok ? firstPage(user, parsed.query) : null, listAuditActions({ actor: user })]);
  return (
    <>
      <PageHeader title="Audit trail" description="Every action, allowed or refused, and every change an agent reported. Append-only and hash-chained; read-only here." />
      <VerifyBadge />
      <AuditTabs current="events" />
      <AuditClient initial={parsed.ok && page ? { query: parsed.query, page } : null} actions={actions} />
    </>
  );
}

// A stale cursor (an edited link) is the browser's to report, from the same read route; any
// other failure is a real error for the error page.
async function firstPage(user: Parameters<typeof listAuditEvents>[0]["actor"], query: Parameters<typeof listAuditEvents>[0]["query"]): Promise<TAuditPage | null> {
  try {
    return await listAuditEvents({ actor: user, query });
  } catch (err) {
    if (err instanceof AppError && err.code === "INVALID_INPUT") return null;
    throw err;
  }
}
