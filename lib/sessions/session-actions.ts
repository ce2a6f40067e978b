import "server-only";
import { type TActionDef } from "@/lib/actions/run-action";
import { SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import { bulkReceivedOf, cancelBulkJob, previewOf, resolveTargets, startBulkJob } from "@/lib/sessions/bulk";
import {
  connectSession,
  disconnectSession,
  loadActionable,
  newSession,
  receiveSession,
  removeSession,
  runCommand,
  targetOf,
} from "@/lib/sessions/operations";
import { handOffSession, markHandoffAccepted, takeOverSession } from "@/lib/sessions/handoff";
import { setAskBeforeWatching } from "@/lib/sessions/watching";
import { ZAskBeforeWatching, ZBulkJobRef, ZBulkReceived, ZDisconnect, ZHandOff, ZNewSession, ZPreviewBulk, ZReceive, ZRunCommand, ZSessionRef, ZStartBulk, ZTakeOver } from "@/lib/sessions/schemas";
import type { z } from "zod";

// The session actions, defined once: the console's server actions (app/(console)/sessions/actions.ts)
// and the REST API (app/api/v1/sessions/…) both run these through runAction, so a click and an
// API call take the same path: role, input, scope, agent, audit.
const action = <S extends z.ZodType, T>(def: TActionDef<S, T>) => def;

// Each action: the wrapper checks session, role and input and writes the audit event; the
// operation checks the session's scope and ownership, then asks the agent.

export const newSessionDef = action({
  name: "session.new",
  done: "The session was created",
  roles: SESSION_ACTOR_ROLES,
  input: ZNewSession,
  target: (i) => ({ sessionName: i.name }),
  handler: async ({ user, input, setTarget }) => {
    const row = await newSession({ actor: user, input });
    setTarget({ sessionId: row.id, computerName: row.computerName });
    return row;
  },
});

export const disconnectSessionDef = action({
  name: "session.disconnect",
  done: "The session was disconnected",
  roles: SESSION_ACTOR_ROLES,
  input: ZDisconnect,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return disconnectSession({ actor: user, record, idleTimeoutSec: input.idleTimeoutSec, outputBufferingMode: input.outputBufferingMode });
  },
});

export const connectSessionDef = action({
  name: "session.connect",
  done: "The session was connected",
  roles: SESSION_ACTOR_ROLES,
  input: ZSessionRef,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    const row = await connectSession({ actor: user, record });
    await markHandoffAccepted({ actor: user, sessionId: record.id });
    return row;
  },
});

export const handOffSessionDef = action({
  name: "session.handoff",
  done: "The session was handed off",
  roles: SESSION_ACTOR_ROLES,
  input: ZHandOff,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return handOffSession({ actor: user, record, toUsername: input.toUsername, reason: input.reason });
  },
});

export const receiveSessionDef = action({
  name: "session.receive",
  done: "The output was received",
  roles: SESSION_ACTOR_ROLES,
  input: ZReceive,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    const result = await receiveSession({ actor: user, record, encoding: input.encoding });
    await markHandoffAccepted({ actor: user, sessionId: record.id });
    return result;
  },
});

export const removeSessionDef = action({
  name: "session.remove",
  done: "The session was removed",
  roles: SESSION_ACTOR_ROLES,
  input: ZSessionRef,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return removeSession({ actor: user, record });
  },
});

export const runCommandDef = action({
  name: "session.run",
  done: "The command was started",
  roles: SESSION_ACTOR_ROLES,
  input: ZRunCommand,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return runCommand({ actor: user, record, command: input.command, inDisconnectedSession: input.inDisconnectedSession });
  },
});

export const previewBulkDef = action({
  name: "session.preview",
  roles: SESSION_ACTOR_ROLES,
  input: ZPreviewBulk,
  handler: async ({ user, input }) => previewOf(input.operation, await resolveTargets(user, input), user),
});

export const startBulkDef = action({
  name: "session.bulk",
  roles: SESSION_ACTOR_ROLES,
  input: ZStartBulk,
  handler: async ({ user, input }) => {
    const records = await resolveTargets(user, input);
    return startBulkJob(user, input.operation, records, {
      throttleLimit: input.throttleLimit,
      idleTimeoutSec: input.idleTimeoutSec,
      outputBufferingMode: input.outputBufferingMode,
    });
  },
});

/** Stops starting new targets of a running job; each one left reports "cancelled". */
export const cancelBulkDef = action({
  name: "session.bulk-cancel",
  roles: SESSION_ACTOR_ROLES,
  input: ZBulkJobRef,
  handler: async ({ user, input }) => ({ cancelled: await cancelBulkJob(user, input.jobId) }),
});

/** What a bulk Receive got from one of its sessions, for the user who ran the job. */
export const bulkReceivedDef = action({
  name: "session.bulk-output",
  roles: SESSION_ACTOR_ROLES,
  input: ZBulkReceived,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return bulkReceivedOf(user, input.jobId, record.id);
  },
});

export const takeOverSessionDef = action({
  name: "session.take-over",
  roles: ["manager", "admin"],
  input: ZTakeOver,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return takeOverSession({ actor: user, record, reason: input.reason });
  },
});

/** "No watching without asking" for one session (its owner or holder; lib/sessions/watching.ts). */
export const askBeforeWatchingDef = action({
  name: "session.watch-consent",
  roles: SESSION_ACTOR_ROLES,
  input: ZAskBeforeWatching,
  handler: async ({ user, input, setTarget }) => {
    const record = await loadActionable(user, input.sessionId);
    setTarget(targetOf(record));
    return setAskBeforeWatching({ actor: user, record, ask: input.askBeforeWatching });
  },
});
