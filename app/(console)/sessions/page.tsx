import type { Metadata } from "next";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { EmptyState } from "@/components/ui/card";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";

export const metadata: Metadata = { title: "Sessions" };

export default async function SessionsPage() {
  const user = await requireUser("/sessions");
  if (!canSee(user.role, "sessions")) return <Forbidden area="Sessions" role={user.role} home={homeFor(user.role)} />;
  const scope = user.role === "technician" ? "Your sessions" : "All sessions on the fleet";
  return (
    <>
      <PageHeader title="Sessions" description={`${scope}, by computer, name, state and availability.`} />
      <EmptyState title="No sessions yet">Sessions appear here once computers are registered and sessions are opened on them.</EmptyState>
    </>
  );
}
