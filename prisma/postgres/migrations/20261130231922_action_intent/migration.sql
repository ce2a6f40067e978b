-- CreateTable
CREATE TABLE "ActionIntent" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "owner" TEXT NOT NULL,
    "actorId" TEXT,
    "actorName" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "computerId" TEXT NOT NULL,
    "computerName" TEXT NOT NULL,
    "sessionId" TEXT,
    "sessionName" TEXT,
    "instanceId" TEXT,
    "params" TEXT NOT NULL DEFAULT '{}',

    CONSTRAINT "ActionIntent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ActionIntent_at_idx" ON "ActionIntent"("at");
