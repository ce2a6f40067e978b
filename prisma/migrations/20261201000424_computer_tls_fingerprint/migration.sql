-- AlterTable
ALTER TABLE "Computer" ADD COLUMN "tlsFingerprint" TEXT;
