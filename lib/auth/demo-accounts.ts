import type { TRole } from "@/lib/auth/roles";

// Demo accounts, one per role. Their passwords are public (README), so a production start
// refuses to run while any account still has one of them.
export const DEMO_USERS: readonly { username: string; displayName: string; role: TRole; team: string | null; password: string }[] = [
  { username: "tech", displayName: "Tess Technician", role: "technician", team: "ops", password: "baton-tech-demo" },
  { username: "manager", displayName: "Max Manager", role: "manager", team: "ops", password: "baton-manager-demo" },
  { username: "helpdesk", displayName: "Hana Helpdesk", role: "helpdesk", team: null, password: "baton-helpdesk-demo" },
  { username: "auditor", displayName: "Aldo Auditor", role: "auditor", team: null, password: "baton-auditor-demo" },
  { username: "admin", displayName: "Ada Admin", role: "admin", team: null, password: "baton-admin-demo" },
];
