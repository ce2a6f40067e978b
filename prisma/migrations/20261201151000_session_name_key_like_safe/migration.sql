-- Session.nameKey holds LIKE's special characters as private-use stand-ins (lib/dto/sessions.ts
-- sessionNameKey): '_' -> U+E05F, '%' -> U+E025, '\' -> U+E05C. Rewrites the keys stored before.
UPDATE "Session"
SET "nameKey" = replace(replace(replace("nameKey", '\', char(57436)), '_', char(57439)), '%', char(57381))
WHERE instr("nameKey", '_') > 0 OR instr("nameKey", '%') > 0 OR instr("nameKey", '\') > 0;
