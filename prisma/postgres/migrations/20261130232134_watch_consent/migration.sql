-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "askBeforeWatching" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "SessionConfiguration" ADD COLUMN     "allowAskBeforeWatching" BOOLEAN NOT NULL DEFAULT true;
