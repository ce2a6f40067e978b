"use client";
import { useQuery } from "@tanstack/react-query";
import { ComputerCard } from "@/app/(console)/computers/_components/computer-card";
import { FleetOverview } from "@/app/(console)/computers/_components/fleet-overview";
import { RegisterComputerForm } from "@/app/(console)/computers/_components/register-computer-form";
import { Alert, EmptyState } from "@/components/ui/card";
import type { TComputerRow } from "@/lib/dto/computers";
import { computersListQuery } from "@/lib/queries/computers";

export function ComputersClient({ initialComputers, isAdmin }: { initialComputers: TComputerRow[]; isAdmin: boolean }) {
  const { data: computers, error } = useQuery(computersListQuery(initialComputers));
  return (
    <div className="space-y-6">
      {error ? <Alert>Could not refresh the fleet: {error.message}</Alert> : null}
      <FleetOverview computers={computers} />
      <div className={isAdmin ? "grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]" : undefined}>
        <section aria-label="Computers" className="min-w-0 space-y-4">
          {computers.length ? (
            computers.map((c) => <ComputerCard key={c.id} computer={c} isAdmin={isAdmin} />)
          ) : (
            <EmptyState title="No computers registered">
              {isAdmin ? "Register an agent host with the form." : "An admin registers agent hosts; their status and quotas show here once they answer."}
            </EmptyState>
          )}
        </section>
        {isAdmin ? <RegisterComputerForm /> : null}
      </div>
    </div>
  );
}
