import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import type { TSessionRecord } from "@/lib/data/sessions/to-session-row";
import { AppError } from "@/lib/errors";
import { audienceFor } from "@/lib/fleet/ingest";
import { publish } from "@/lib/realtime/publish";

/**
 * "No watching without asking" for one session: its owner or holder chooses, if the session's
 * configuration allows holders to refuse watching. With it on, a watcher (help desk, manager,
 * admin) must ask the holder, who accepts or refuses in their terminal; nobody attached means
 * nobody to ask, so no watch. The console keeps the choice: every watch goes through it.
 */
export async function setAskBeforeWatching({ actor, record, ask }: { actor: TSessionUser; record: TSessionRecord; ask: boolean }): Promise<{ askBeforeWatching: boolean }> {
  const where = `${record.name} on ${record.computer.name}`;
  if (record.ownerId !== actor.id && !(record.state === "Opened" && record.holderId === actor.id)) {
    throw new AppError("FORBIDDEN", `Only the owner or the holder of ${where} may choose who watches it.`);
  }
  if (record.state === "Closed" || record.state === "Broken") throw new AppError("INVALID_STATE", `${where} is ${record.state}; there is nothing to watch.`);
  if (ask) {
    const configuration = await db.sessionConfiguration.findUnique({
      where: { computerId_name: { computerId: record.computerId, name: record.configurationName } },
      select: { allowAskBeforeWatching: true },
    });
    if (configuration && !configuration.allowAskBeforeWatching) {
      throw new AppError(
        "FORBIDDEN",
        `The configuration ${record.configurationName} on ${record.computer.name} does not let holders refuse watching: help desk, managers and admins may watch ${record.name}.`,
      );
    }
  }
  const row = await db.session.update({ where: { id: record.id }, data: { askBeforeWatching: ask }, select: { id: true, state: true, ownerId: true, holderId: true } });
  publish({ type: "session.updated", id: row.id, state: row.state }, audienceFor(row));
  return { askBeforeWatching: ask };
}
