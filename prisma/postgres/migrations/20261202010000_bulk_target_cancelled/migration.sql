-- A target the job never started because it was cancelled first.
ALTER TABLE "BulkJobTarget" ADD COLUMN "cancelled" BOOLEAN NOT NULL DEFAULT false;
