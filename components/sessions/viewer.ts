import type { TRole } from "@/lib/auth/roles";

/** Who is looking, as the client needs it: whose terminal is whose, and whether to offer actions at all. */
export type TViewer = { id: string; username: string; role: TRole; canAct: boolean };
