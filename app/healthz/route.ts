import { NextResponse } from "next/server";

// Liveness for a load balancer or orchestrator: the process answers. No auth, no dependencies.
export const dynamic = "force-dynamic";

export function GET() {
  return NextResponse.json({ ok: true }, { headers: { "cache-control": "no-store" } });
}
