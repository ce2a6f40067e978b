-- CreateTable
CREATE TABLE "BulkJob" (
    "id" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "throttleLimit" INTEGER NOT NULL,
    "idleTimeoutSec" INTEGER,
    "outputBufferingMode" TEXT,
    "total" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "owner" TEXT NOT NULL,

    CONSTRAINT "BulkJob_pkey" PRIMARY KEY ("id")
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

    CONSTRAINT "BulkJobTarget_pkey" PRIMARY KEY ("jobId","position")
);

-- CreateIndex
CREATE INDEX "BulkJob_actorId_startedAt_idx" ON "BulkJob"("actorId", "startedAt");

-- CreateIndex
CREATE INDEX "BulkJob_finishedAt_idx" ON "BulkJob"("finishedAt");

-- CreateIndex
CREATE INDEX "BulkJob_startedAt_idx" ON "BulkJob"("startedAt");

-- AddForeignKey
ALTER TABLE "BulkJobTarget" ADD CONSTRAINT "BulkJobTarget_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "BulkJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;
