import { appendAuditEvent, auditActorOf } from "@/lib/audit/append";
import { getCurrentUser } from "@/lib/auth/current-user";
import { AREA_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { bulkArchiveOf } from "@/lib/sessions/bulk";

const ZJobId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const problem = (err: AppError) => Response.json({ error: { code: err.code, message: err.message } }, { status: err.status });

// A bulk Receive's kept output, every session's in one tar archive (and a summary). Audited:
// the output may hold what a session printed.
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const user = await getCurrentUser();
    if (!user) throw new AppError("UNAUTHENTICATED", "You are not signed in.");
    if (!AREA_ROLES.jobs.includes(user.role)) throw new AppError("FORBIDDEN", `Your role (${user.role}) may not read bulk jobs.`);
    const { id } = await params;
    if (!ZJobId.test(id)) throw new AppError("INVALID_INPUT", `Job id must be a UUID, not "${id.slice(0, 60)}".`);
    const { filename, data } = await bulkArchiveOf(user, id);
    await appendAuditEvent({ actor: auditActorOf(user), action: "session.bulk-archive", outcome: "ok", params: { jobId: id, bytes: data.length } });
    return new Response(new Uint8Array(data), {
      headers: {
        "content-type": "application/x-tar",
        "content-disposition": `attachment; filename="${filename}"`,
        "content-length": String(data.length),
        "cache-control": "no-store",
      },
    });
  } catch (caught) {
    if (caught instanceof AppError) return problem(caught);
    logger.error({ err: caught }, "bulk archive failed");
    return problem(new AppError("INTERNAL", "Something went wrong on the server."));
  }
}
