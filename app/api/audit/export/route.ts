import { NextResponse } from "next/server";
import { appendAuditEvent } from "@/lib/audit/append";
import { getCurrentUser } from "@/lib/auth/current-user";
import { canSee } from "@/lib/auth/roles";
import { auditCsvHeader, auditCsvRow, auditEventsForExport } from "@/lib/data/audit/export-audit-events";
import { AUDIT_FILTER_KEYS, parseAuditQuery, type TAuditFilters } from "@/lib/data/audit/schemas";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

const FORMATS = ["csv", "json"] as const;
type TFormat = (typeof FORMATS)[number];

const fail = (err: AppError) => NextResponse.json({ error: { code: err.code, message: err.message } }, { status: err.status });

/**
 * GET /api/audit/export?format=csv|json&<filters>: the whole filtered set (every page), newest
 * first, streamed a batch at a time. Paging parameters are ignored. Each export, allowed or
 * refused, is itself an audit event: taking the trail away is something auditors want to see.
 */
export async function GET(request: Request) {
  const url = new URL(request.url);
  const user = await getCurrentUser();
  const actor = user ? { id: user.id, name: user.username, role: user.role } : { id: null, name: "(anonymous)", role: "none" };
  const format = url.searchParams.get("format") ?? "csv";
  const parsed = parseAuditQuery(url.searchParams, { keys: AUDIT_FILTER_KEYS });
  const params = { format, ...(parsed.ok ? filtersOf(parsed.query) : parsed.raw) };

  const refuse = async (err: AppError) => {
    await appendAuditEvent({ actor, action: "audit.export", outcome: "refused", params, error: `${err.code}: ${err.message}` });
    return fail(err);
  };
  if (!user) return refuse(new AppError("UNAUTHENTICATED", "You are not signed in."));
  if (!canSee(user.role, "audit")) return refuse(new AppError("FORBIDDEN", `Your role (${user.role}) may not export the audit trail.`));
  if (!FORMATS.includes(format as TFormat)) return refuse(new AppError("INVALID_INPUT", `The parameter “format” (“${format.slice(0, 20)}”) must be csv or json.`));
  if (!parsed.ok) return refuse(new AppError("INVALID_INPUT", parsed.problems.join(" ")));

  const filters = filtersOf(parsed.query);
  await appendAuditEvent({ actor, action: "audit.export", outcome: "ok", params });
  const batches = auditEventsForExport({ actor: user, filters });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
  const body = format === "csv" ? csvStream(batches) : jsonStream(batches, filters);
  return new Response(body, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="baton-audit-${stamp}Z.${format}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

function filtersOf(q: TAuditFilters): TAuditFilters {
  return Object.fromEntries(AUDIT_FILTER_KEYS.filter((k) => q[k] !== undefined).map((k) => [k, q[k]])) as TAuditFilters;
}

// Pull-driven: the next batch is read only when the client has taken the previous one, so a
// slow download holds one batch in memory, not the whole set.
function streamOf(batches: AsyncGenerator<string[]>, head: string, tail: (count: number) => string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let count = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(head));
        }
        const next = await batches.next();
        if (next.done) {
          controller.enqueue(encoder.encode(tail(count)));
          controller.close();
          return;
        }
        count += next.value.length;
        controller.enqueue(encoder.encode(next.value.join("")));
      } catch (err) {
        logger.error({ err }, "audit export failed mid-stream");
        controller.error(err);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}

async function* mapBatches<T>(source: AsyncGenerator<T[]>, f: (row: T, index: number) => string): AsyncGenerator<string[]> {
  let index = 0;
  for await (const batch of source) yield batch.map((row) => f(row, index++));
}

function csvStream(batches: ReturnType<typeof auditEventsForExport>) {
  return streamOf(mapBatches(batches, auditCsvRow), auditCsvHeader(), () => "");
}

function jsonStream(batches: ReturnType<typeof auditEventsForExport>, filters: TAuditFilters) {
  const head = `{"exportedAt":${JSON.stringify(new Date().toISOString())},"filters":${JSON.stringify(filters)},"order":"newest first","events":[\n`;
  return streamOf(
    mapBatches(batches, (row, i) => `${i === 0 ? "" : ",\n"}${JSON.stringify(row)}`),
    head,
    (count) => `\n],"count":${count}}\n`,
  );
}
