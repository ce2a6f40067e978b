-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "dedupeKey" TEXT;

-- AlterTable
ALTER TABLE "SessionCommand" ADD COLUMN "dedupeKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_dedupeKey_key" ON "AuditEvent"("dedupeKey");

-- CreateIndex
CREATE UNIQUE INDEX "SessionCommand_dedupeKey_key" ON "SessionCommand"("dedupeKey");
