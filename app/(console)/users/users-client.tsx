"use client";
import { useQuery } from "@tanstack/react-query";
import { CreateUserForm } from "@/app/(console)/users/_components/create-user-form";
import { Badge } from "@/components/ui/badge";
import { Alert } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { ROLE_LABEL, type TRole } from "@/lib/auth/roles";
import type { TUserRow } from "@/lib/data/users/list-users";
import { usersListQuery } from "@/lib/queries/users";

export function UsersClient({ initialUsers }: { initialUsers: TUserRow[] }) {
  const { data: users, error } = useQuery(usersListQuery(initialUsers));
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
      <section aria-label="Users">
        {error ? <Alert className="mb-3">Could not refresh the list: {error.message}</Alert> : null}
        <Table>
          <THead>
            <tr>
              <TH>Username</TH>
              <TH>Name</TH>
              <TH>Role</TH>
              <TH>Team</TH>
              <TH>Status</TH>
            </tr>
          </THead>
          <TBody>
            {users.map((u) => (
              <TR key={u.id}>
                <TD className="font-mono text-xs">{u.username}</TD>
                <TD>{u.displayName}</TD>
                <TD>
                  <Badge tone="info">{ROLE_LABEL[u.role as TRole] ?? u.role}</Badge>
                </TD>
                <TD className="text-slate-500">{u.team ?? "—"}</TD>
                <TD>{u.disabled ? <Badge tone="bad">Disabled</Badge> : <Badge tone="good">Active</Badge>}</TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </section>
      <CreateUserForm />
    </div>
  );
}
