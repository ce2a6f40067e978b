import { NextResponse } from "next/server";
import { readiness } from "@/lib/http/readiness";

// Readiness: 200 when every required dependency answers (the database), 503 otherwise, with
// each check's result (agent links: how many online, offline, connecting). No auth, no secrets.
export const dynamic = "force-dynamic";

export async function GET() {
  const r = await readiness();
  return NextResponse.json(r, { status: r.ready ? 200 : 503, headers: { "cache-control": "no-store" } });
}
