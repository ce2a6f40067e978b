"use server";
import { defineAction } from "@/lib/actions/define-action";
import * as session from "@/lib/sessions/session-actions";

export const newSessionAction = defineAction(session.newSessionDef);
export const disconnectSessionAction = defineAction(session.disconnectSessionDef);
export const connectSessionAction = defineAction(session.connectSessionDef);
export const handOffSessionAction = defineAction(session.handOffSessionDef);
export const receiveSessionAction = defineAction(session.receiveSessionDef);
export const removeSessionAction = defineAction(session.removeSessionDef);
export const runCommandAction = defineAction(session.runCommandDef);
export const previewBulkAction = defineAction(session.previewBulkDef);
export const startBulkAction = defineAction(session.startBulkDef);
export const cancelBulkAction = defineAction(session.cancelBulkDef);
export const bulkReceivedAction = defineAction(session.bulkReceivedDef);
export const takeOverSessionAction = defineAction(session.takeOverSessionDef);
export const askBeforeWatchingAction = defineAction(session.askBeforeWatchingDef);
