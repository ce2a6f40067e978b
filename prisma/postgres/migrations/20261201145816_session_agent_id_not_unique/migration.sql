-- DropIndex
DROP INDEX "Session_computerId_agentSessionId_key";

-- CreateIndex
CREATE INDEX "Session_computerId_agentSessionId_idx" ON "Session"("computerId", "agentSessionId");
