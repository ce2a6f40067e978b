-- CreateTable
CREATE TABLE "BulkJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "actorId" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "throttleLimit" INTEGER NOT NULL,
    "idleTimeoutSec" INTEGER,
    "outputBufferingMode" TEXT,
    "total" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "owner" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "BulkJobTarget" (
    "jobId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "sessionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "computerName" TEXT NOT NULL,
    "ok" BOOLEAN,
    "state" TEXT,
    "error" TEXT,

    PRIMARY KEY ("jobId", "position"),
    CONSTRAINT "BulkJobTarget_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "BulkJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "BulkJob_actorId_startedAt_idx" ON "BulkJob"("actorId", "startedAt");

-- CreateIndex
CREATE INDEX "BulkJob_finishedAt_idx" ON "BulkJob"("finishedAt");

-- CreateIndex
CREATE INDEX "BulkJob_startedAt_idx" ON "BulkJob"("startedAt");
