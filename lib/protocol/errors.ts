import { z } from "zod";

/**
 * Stable error codes of the agent API. The console maps these to its own messages;
 * never rename one, only add.
 */
export const ZAgentErrorCode = z.enum([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFIGURATION_NOT_FOUND",
  "STREAM_NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "MALFORMED_JSON",
  "INVALID_UTF8",
  "VALIDATION_FAILED",
  "USER_REQUIRED",
  "PAYLOAD_TOO_LARGE",
  "IDLE_TIMEOUT_OUT_OF_RANGE",
  "QUOTA_MAX_SHELLS",
  "QUOTA_MAX_SHELLS_PER_USER",
  "QUOTA_MAX_CONCURRENT_USERS",
  "INVALID_STATE",
  "ATTACHED_TO_OTHER",
  "COMMAND_RUNNING",
  "SHELL_START_FAILED",
  "SHUTTING_DOWN",
  "INTERNAL",
  "WATCH_LIMIT",
]);
export type TAgentErrorCode = z.infer<typeof ZAgentErrorCode>;

export const AGENT_ERROR_STATUS: Record<TAgentErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFIGURATION_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  MALFORMED_JSON: 400,
  INVALID_UTF8: 400,
  VALIDATION_FAILED: 400,
  USER_REQUIRED: 400,
  PAYLOAD_TOO_LARGE: 413,
  IDLE_TIMEOUT_OUT_OF_RANGE: 400,
  QUOTA_MAX_SHELLS: 409,
  QUOTA_MAX_SHELLS_PER_USER: 409,
  QUOTA_MAX_CONCURRENT_USERS: 409,
  INVALID_STATE: 409,
  ATTACHED_TO_OTHER: 409,
  COMMAND_RUNNING: 409,
  SHELL_START_FAILED: 500,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  WATCH_LIMIT: 409,
};

export const ZAgentErrorBody = z.object({
  error: z.object({
    code: ZAgentErrorCode,
    message: z.string(),
    /** Machine-readable facts (e.g. the idle timeout value and both limits). */
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type TAgentErrorBody = z.infer<typeof ZAgentErrorBody>;
