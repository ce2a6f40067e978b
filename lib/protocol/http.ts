/** Request headers of the agent API. */
export const AGENT_HEADERS = {
  /** `Bearer <agent token>` on every request and on the stream upgrade. */
  authorization: "authorization",
  /** The acting user's id (required on session and configuration operations). */
  userId: "x-baton-user-id",
  /** The acting user's display name, percent-encoded UTF-8. */
  userName: "x-baton-user-name",
  /** Comma-separated roles of the acting user (e.g. "technician" or "manager,admin"). */
  userRoles: "x-baton-user-roles",
  /** The stream through which the session gets attached (new, connect, receive). */
  stream: "x-baton-stream",
} as const;

export const AGENT_API_PREFIX = "/v1";
export const AGENT_STREAM_PATH = "/v1/stream";
/** Largest request body the agent reads; bigger ones get 413 PAYLOAD_TOO_LARGE. */
export const AGENT_MAX_BODY_BYTES = 256 * 1024;
