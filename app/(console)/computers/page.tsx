import type { Metadata } from "next";
import { ComputersClient } from "@/app/(console)/computers/computers-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { listComputers } from "@/lib/data/computers/list-computers";

export const metadata: Metadata = { title: "Computers" };

export default async function ComputersPage() {
  const user = await requireUser("/computers");
  if (!canSee(user.role, "computers")) return <Forbidden area="Computers" role={user.role} home={homeFor(user.role)} />;
  const computers = await listComputers({ actor: user });
  return (
    <>
      <PageHeader title="Computers" description="Agent hosts in the fleet: their status, sessions and session configurations, live." />
      <ComputersClient initialComputers={computers} isAdmin={user.role === "admin"} />
    </>
  );
}
