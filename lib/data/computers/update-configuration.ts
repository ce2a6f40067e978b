import "server-only";
import { z } from "zod";
import type { TAuditTarget } from "@/lib/actions/run-action";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import type { TConfigurationRow } from "@/lib/dto/computers";
import { AppError } from "@/lib/errors";
import { fleet } from "@/lib/fleet/fleet";
import { upsertConfiguration } from "@/lib/fleet/ingest";
import { publish } from "@/lib/realtime/publish";
import { actAs } from "@/lib/sessions/operations";
import { configurationRowSelect, toConfigurationRow } from "@/lib/data/computers/to-configuration-row";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";
import type { ZUpdateConfiguration } from "@/lib/data/computers/schemas";

/** Set-PSSessionConfiguration: new operations obey the new limits; running sessions keep running. */
export async function updateConfiguration({
  actor,
  input,
  setTarget,
}: {
  actor: TSessionUser;
  input: z.infer<typeof ZUpdateConfiguration>;
  setTarget: (t: TAuditTarget) => void;
}): Promise<TConfigurationRow> {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins may change session configurations.");
  const computer = await db.computer.findUnique({ where: { id: input.computerId }, select: { id: true, name: true } });
  if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.computerId}.`);
  setTarget({ computerName: computer.name });
  const { outputBufferBytes, ...rest } = input.limits;
  const patch = { ...rest, ...(outputBufferBytes !== undefined ? { outputBufferSizeBytes: outputBufferBytes } : {}) };
  const view = await fleet()
    .link(computer.id)
    .request(actAs(actor), (c) => c.updateConfiguration(actAs(actor), input.configurationName, patch));
  await upsertConfiguration(computer.id, view);
  publish({ type: "computer.updated", id: computer.id }, { roles: ["technician", "manager", "helpdesk", "admin"] });
  // Sessions whose idle timeout now exceeds the maximum are flagged in every list.
  publish({ type: "session.updated", id: "*" }, { roles: ["technician", "manager", "helpdesk", "admin"] });
  const row = await db.sessionConfiguration.findUniqueOrThrow({
    where: { computerId_name: { computerId: computer.id, name: input.configurationName } },
    select: configurationRowSelect,
  });
  return toConfigurationRow(row, (await liveUsage([computer.id])).get(usageKey(computer.id, row.name)) ?? { shells: 0, users: 0 });
}
