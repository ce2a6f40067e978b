-- AlterTable
ALTER TABLE "SessionEvent" ADD COLUMN     "agentVersion" INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "SessionEvent_sessionId_agentVersion_key" ON "SessionEvent"("sessionId", "agentVersion");
