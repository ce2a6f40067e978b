-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "keyId" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "mac" TEXT;
