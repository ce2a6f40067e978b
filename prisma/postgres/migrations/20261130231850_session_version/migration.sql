-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "version" INTEGER;
