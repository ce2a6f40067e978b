-- RedefineTables
-- Session.computerName is filled from the session's computer (names are fixed at registration).
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "computerId" TEXT NOT NULL,
    "computerName" TEXT NOT NULL,
    "agentSessionId" INTEGER NOT NULL,
    "instanceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "configurationName" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "holderId" TEXT,
    "holderName" TEXT,
    "state" TEXT NOT NULL,
    "reason" TEXT,
    "idleTimeoutSec" INTEGER NOT NULL,
    "outputBufferingMode" TEXT NOT NULL,
    "disconnectedOn" DATETIME,
    "expiresOn" DATETIME,
    "bufferedBytes" INTEGER NOT NULL DEFAULT 0,
    "bufferSizeBytes" INTEGER NOT NULL DEFAULT 0,
    "outputBlocked" BOOLEAN NOT NULL DEFAULT false,
    "droppedBytes" BIGINT NOT NULL DEFAULT 0,
    "totalDroppedBytes" BIGINT NOT NULL DEFAULT 0,
    "runningCommand" TEXT,
    "commandStartedOn" DATETIME,
    "version" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "askBeforeWatching" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Session_computerId_fkey" FOREIGN KEY ("computerId") REFERENCES "Computer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Session" ("agentSessionId", "computerName", "askBeforeWatching", "bufferSizeBytes", "bufferedBytes", "commandStartedOn", "computerId", "configurationName", "createdAt", "disconnectedOn", "droppedBytes", "expiresOn", "holderId", "holderName", "id", "idleTimeoutSec", "instanceId", "name", "nameKey", "outputBlocked", "outputBufferingMode", "ownerId", "ownerName", "reason", "runningCommand", "state", "totalDroppedBytes", "updatedAt", "version") SELECT "agentSessionId", (SELECT "name" FROM "Computer" WHERE "Computer"."id" = "Session"."computerId"), "askBeforeWatching", "bufferSizeBytes", "bufferedBytes", "commandStartedOn", "computerId", "configurationName", "createdAt", "disconnectedOn", "droppedBytes", "expiresOn", "holderId", "holderName", "id", "idleTimeoutSec", "instanceId", "name", "nameKey", "outputBlocked", "outputBufferingMode", "ownerId", "ownerName", "reason", "runningCommand", "state", "totalDroppedBytes", "updatedAt", "version" FROM "Session";
DROP TABLE "Session";
ALTER TABLE "new_Session" RENAME TO "Session";
CREATE UNIQUE INDEX "Session_instanceId_key" ON "Session"("instanceId");
CREATE INDEX "Session_computerId_state_idx" ON "Session"("computerId", "state");
CREATE INDEX "Session_computerName_agentSessionId_idx" ON "Session"("computerName", "agentSessionId");
CREATE INDEX "Session_state_computerName_agentSessionId_idx" ON "Session"("state", "computerName", "agentSessionId");
CREATE INDEX "Session_nameKey_id_idx" ON "Session"("nameKey", "id");
CREATE INDEX "Session_ownerName_id_idx" ON "Session"("ownerName", "id");
CREATE INDEX "Session_ownerId_idx" ON "Session"("ownerId");
CREATE INDEX "Session_holderId_idx" ON "Session"("holderId");
CREATE INDEX "Session_updatedAt_idx" ON "Session"("updatedAt");
CREATE UNIQUE INDEX "Session_computerId_agentSessionId_key" ON "Session"("computerId", "agentSessionId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
