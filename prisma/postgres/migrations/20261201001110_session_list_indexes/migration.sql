-- DropIndex
DROP INDEX "Session_nameKey_idx";

-- DropIndex
DROP INDEX "Session_state_idx";

-- AlterTable
-- Session.computerName is filled from the session's computer (names are fixed at registration).
ALTER TABLE "Session" ADD COLUMN     "computerName" TEXT;
UPDATE "Session" SET "computerName" = "Computer"."name" FROM "Computer" WHERE "Computer"."id" = "Session"."computerId";
ALTER TABLE "Session" ALTER COLUMN "computerName" SET NOT NULL;

-- CreateIndex
CREATE INDEX "Session_computerName_agentSessionId_idx" ON "Session"("computerName", "agentSessionId");

-- CreateIndex
CREATE INDEX "Session_state_computerName_agentSessionId_idx" ON "Session"("state", "computerName", "agentSessionId");

-- CreateIndex
CREATE INDEX "Session_nameKey_id_idx" ON "Session"("nameKey", "id");

-- CreateIndex
CREATE INDEX "Session_ownerName_id_idx" ON "Session"("ownerName", "id");
