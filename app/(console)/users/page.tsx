import type { Metadata } from "next";
import { UsersClient } from "@/app/(console)/users/users-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { listUsers } from "@/lib/data/users/list-users";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await requireUser("/users");
  if (!canSee(user.role, "users")) return <Forbidden area="Users" role={user.role} home={homeFor(user.role)} />;
  const users = await listUsers({ actor: user });
  return (
    <>
      <PageHeader title="Users" description="Everyone who can sign in to Baton, and what their role lets them do." />
      <UsersClient initialUsers={users} />
    </>
  );
}
