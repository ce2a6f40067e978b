import { AGENT_ERROR_STATUS, type TAgentErrorCode } from "../protocol";

export class AgentError extends Error {
  readonly status: number;

  constructor(
    readonly code: TAgentErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = AGENT_ERROR_STATUS[code];
  }

  toBody() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}
