import type { Metadata } from "next";
import { CommandsClient } from "@/app/(console)/audit/commands/commands-client";
import { AuditTabs } from "@/app/(console)/audit/_components/audit-tabs";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { parseCommandSearch } from "@/lib/data/audit/schemas";
import { searchCommands } from "@/lib/data/audit/search-commands";
import { AppError } from "@/lib/errors";

export const metadata: Metadata = { title: "Commands · Audit" };

export default async function AuditCommandsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/audit/commands");
  if (!canSee(user.role, "audit")) return <Forbidden area="Audit" role={user.role} home={homeFor(user.role)} />;
  const parsed = parseCommandSearch(await searchParams);
  let page = null;
  if (parsed.ok) {
    try {
      page = await searchCommands({ actor: user, query: parsed.query });
    } catch (err) {
      // A stale cursor in an edited link: the browser's fetch reports it.
      if (!(err instanceof AppError && err.code === "INVALID_INPUT")) throw err;
    }
  }
  return (
    <>
      <PageHeader title="Audit trail" description="Every command run in a session, with who ran it and how it ended. Search by command text." />
      <AuditTabs current="commands" />
      <CommandsClient initial={parsed.ok && page ? { query: parsed.query, page } : null} />
    </>
  );
}
