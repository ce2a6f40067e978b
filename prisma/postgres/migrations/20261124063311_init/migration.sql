-- CreateEnum
CREATE TYPE "Role" AS ENUM ('technician', 'manager', 'helpdesk', 'auditor', 'admin');

-- CreateEnum
CREATE TYPE "SessionState" AS ENUM ('Opened', 'Disconnected', 'Broken', 'Closed', 'Connecting', 'Disconnecting');

-- CreateEnum
CREATE TYPE "BufferingMode" AS ENUM ('Block', 'Drop');

-- CreateEnum
CREATE TYPE "ComputerStatus" AS ENUM ('unknown', 'online', 'offline');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "team" TEXT,
    "passwordHash" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuthSession" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuthSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Computer" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "tokenCiphertext" TEXT NOT NULL,
    "status" "ComputerStatus" NOT NULL DEFAULT 'unknown',
    "lastSeenAt" TIMESTAMP(3),
    "agentVersion" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Computer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionConfiguration" (
    "id" TEXT NOT NULL,
    "computerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "idleTimeoutMs" INTEGER NOT NULL,
    "maxIdleTimeoutMs" INTEGER NOT NULL,
    "outputBufferingMode" "BufferingMode" NOT NULL,
    "outputBufferBytes" INTEGER NOT NULL,
    "maxShells" INTEGER NOT NULL,
    "maxShellsPerUser" INTEGER NOT NULL,
    "maxConcurrentUsers" INTEGER NOT NULL,
    "maxMemoryPerShellMB" INTEGER NOT NULL,
    "maxProcessesPerShell" INTEGER NOT NULL,
    "allowedRoles" TEXT NOT NULL DEFAULT '["*"]',
    "minIdleTimeoutSec" INTEGER NOT NULL DEFAULT 60,
    "activeShells" INTEGER NOT NULL DEFAULT 0,
    "activeUsers" INTEGER NOT NULL DEFAULT 0,
    "enforcement" TEXT NOT NULL DEFAULT '{}',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SessionConfiguration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "computerId" TEXT NOT NULL,
    "agentSessionId" INTEGER NOT NULL,
    "instanceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "configurationName" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "holderId" TEXT,
    "holderName" TEXT,
    "state" "SessionState" NOT NULL,
    "reason" TEXT,
    "idleTimeoutSec" INTEGER NOT NULL,
    "outputBufferingMode" "BufferingMode" NOT NULL,
    "disconnectedOn" TIMESTAMP(3),
    "expiresOn" TIMESTAMP(3),
    "bufferedBytes" INTEGER NOT NULL DEFAULT 0,
    "bufferSizeBytes" INTEGER NOT NULL DEFAULT 0,
    "outputBlocked" BOOLEAN NOT NULL DEFAULT false,
    "droppedBytes" BIGINT NOT NULL DEFAULT 0,
    "totalDroppedBytes" BIGINT NOT NULL DEFAULT 0,
    "runningCommand" TEXT,
    "commandStartedOn" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionEvent" (
    "id" SERIAL NOT NULL,
    "sessionId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "change" TEXT NOT NULL,
    "state" "SessionState" NOT NULL,
    "reason" TEXT,

    CONSTRAINT "SessionEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionCommand" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "actorId" TEXT,
    "command" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),
    "exitCode" INTEGER,
    "output" TEXT NOT NULL DEFAULT '',
    "outputTruncated" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "SessionCommand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Handoff" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "fromUserId" TEXT NOT NULL,
    "toUserId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acceptedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "Handoff_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorName" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "computerName" TEXT,
    "sessionId" TEXT,
    "sessionName" TEXT,
    "params" TEXT NOT NULL DEFAULT '{}',
    "error" TEXT,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE INDEX "AuthSession_userId_idx" ON "AuthSession"("userId");

-- CreateIndex
CREATE INDEX "AuthSession_expiresAt_idx" ON "AuthSession"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Computer_name_key" ON "Computer"("name");

-- CreateIndex
CREATE UNIQUE INDEX "SessionConfiguration_computerId_name_key" ON "SessionConfiguration"("computerId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Session_instanceId_key" ON "Session"("instanceId");

-- CreateIndex
CREATE INDEX "Session_computerId_state_idx" ON "Session"("computerId", "state");

-- CreateIndex
CREATE INDEX "Session_state_idx" ON "Session"("state");

-- CreateIndex
CREATE INDEX "Session_nameKey_idx" ON "Session"("nameKey");

-- CreateIndex
CREATE INDEX "Session_ownerId_idx" ON "Session"("ownerId");

-- CreateIndex
CREATE INDEX "Session_holderId_idx" ON "Session"("holderId");

-- CreateIndex
CREATE INDEX "Session_updatedAt_idx" ON "Session"("updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Session_computerId_agentSessionId_key" ON "Session"("computerId", "agentSessionId");

-- CreateIndex
CREATE INDEX "SessionEvent_sessionId_at_idx" ON "SessionEvent"("sessionId", "at");

-- CreateIndex
CREATE INDEX "SessionCommand_sessionId_startedAt_idx" ON "SessionCommand"("sessionId", "startedAt");

-- CreateIndex
CREATE INDEX "SessionCommand_command_idx" ON "SessionCommand"("command");

-- CreateIndex
CREATE INDEX "Handoff_sessionId_idx" ON "Handoff"("sessionId");

-- CreateIndex
CREATE INDEX "Handoff_toUserId_endedAt_idx" ON "Handoff"("toUserId", "endedAt");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_prevHash_key" ON "AuditEvent"("prevHash");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_hash_key" ON "AuditEvent"("hash");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_at_idx" ON "AuditEvent"("actorId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_sessionId_at_idx" ON "AuditEvent"("sessionId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_action_at_idx" ON "AuditEvent"("action", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_computerName_at_idx" ON "AuditEvent"("computerName", "at");

-- AddForeignKey
ALTER TABLE "AuthSession" ADD CONSTRAINT "AuthSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionConfiguration" ADD CONSTRAINT "SessionConfiguration_computerId_fkey" FOREIGN KEY ("computerId") REFERENCES "Computer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_computerId_fkey" FOREIGN KEY ("computerId") REFERENCES "Computer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionEvent" ADD CONSTRAINT "SessionEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionCommand" ADD CONSTRAINT "SessionCommand_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionCommand" ADD CONSTRAINT "SessionCommand_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handoff" ADD CONSTRAINT "Handoff_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handoff" ADD CONSTRAINT "Handoff_fromUserId_fkey" FOREIGN KEY ("fromUserId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handoff" ADD CONSTRAINT "Handoff_toUserId_fkey" FOREIGN KEY ("toUserId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
