// Who may do what (DESIGN.md "Who may do what"). Pure data: safe for client components.
export const ROLES = ["technician", "manager", "helpdesk", "auditor", "admin"] as const;
export type TRole = (typeof ROLES)[number];

export const ROLE_LABEL: Record<TRole, string> = {
  technician: "Technician",
  manager: "Manager",
  helpdesk: "Help desk",
  auditor: "Auditor",
  admin: "Admin",
};

export const AREAS = ["sessions", "computers", "jobs", "audit", "users"] as const;
export type TArea = (typeof AREAS)[number];

export const AREA_ROLES: Record<TArea, readonly TRole[]> = {
  sessions: ["technician", "manager", "helpdesk", "admin"],
  computers: ["technician", "manager", "helpdesk", "admin"],
  audit: ["auditor", "admin"],
  users: ["admin"],
  jobs: ["technician", "manager", "admin"],
};

export const AREA_LABEL: Record<TArea, string> = {
  sessions: "Sessions",
  computers: "Computers",
  audit: "Audit",
  users: "Users",
  jobs: "Jobs",
};

// Roles that may change session state (new, run, disconnect, connect, receive, remove, hand off).
export const SESSION_ACTOR_ROLES: readonly TRole[] = ["technician", "manager", "admin"];

// Roles that may watch a session's live terminal read-only, whoever holds it.
export const WATCH_ROLES: readonly TRole[] = ["helpdesk", "manager", "admin"];
// Roles that may ask the holder to type alongside them (join).
export const JOIN_ROLES: readonly TRole[] = ["manager", "admin"];

export const canSee = (role: TRole, area: TArea) => AREA_ROLES[area].includes(role);
export const areasFor = (role: TRole) => AREAS.filter((a) => canSee(role, a));
export const homeFor = (role: TRole): string => `/${areasFor(role)[0] ?? "sessions"}`;

// A personal access token may carry a narrower role than its user's: one that may do no more.
// Roles are not a ladder (an auditor may not do what a technician may), so the list is explicit.
export const NARROWER_ROLES: Record<TRole, readonly TRole[]> = {
  admin: ROLES,
  manager: ["manager", "technician", "helpdesk"],
  technician: ["technician"],
  helpdesk: ["helpdesk"],
  auditor: ["auditor"],
};
