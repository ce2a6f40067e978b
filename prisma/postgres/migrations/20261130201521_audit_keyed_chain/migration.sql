-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "keyId" TEXT,
ADD COLUMN     "mac" TEXT;
