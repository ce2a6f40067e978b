import type { Metadata } from "next";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { EmptyState } from "@/components/ui/card";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";

export const metadata: Metadata = { title: "Computers" };

export default async function ComputersPage() {
  const user = await requireUser("/computers");
  if (!canSee(user.role, "computers")) return <Forbidden area="Computers" role={user.role} home={homeFor(user.role)} />;
  return (
    <>
      <PageHeader title="Computers" description="Agent hosts in the fleet, their status and session configurations." />
      <EmptyState title="No computers registered">An admin registers agent hosts here; their status and quotas show once they answer.</EmptyState>
    </>
  );
}
