-- CreateIndex
CREATE INDEX "AuditEvent_sessionName_at_idx" ON "AuditEvent"("sessionName", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorName_at_idx" ON "AuditEvent"("actorName", "at");
