-- DropIndex
DROP INDEX "Session_holderId_idx";

-- DropIndex
DROP INDEX "Session_ownerId_idx";

-- CreateIndex
CREATE INDEX "Session_ownerId_computerName_agentSessionId_idx" ON "Session"("ownerId", "computerName", "agentSessionId");

-- CreateIndex
CREATE INDEX "Session_holderId_computerName_agentSessionId_idx" ON "Session"("holderId", "computerName", "agentSessionId");
