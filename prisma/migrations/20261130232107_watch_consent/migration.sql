-- "No watching without asking": the holder's per-session choice, and whether a configuration allows it.
ALTER TABLE "Session" ADD COLUMN "askBeforeWatching" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "SessionConfiguration" ADD COLUMN "allowAskBeforeWatching" BOOLEAN NOT NULL DEFAULT true;
