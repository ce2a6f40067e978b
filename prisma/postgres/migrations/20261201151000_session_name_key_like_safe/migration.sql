-- Session.nameKey holds LIKE's special characters as private-use stand-ins (lib/dto/sessions.ts
-- sessionNameKey): '_' -> U+E05F, '%' -> U+E025, '\' -> U+E05C. Rewrites the keys stored before.
UPDATE "Session"
SET "nameKey" = replace(replace(replace("nameKey", '\', chr(57436)), '_', chr(57439)), '%', chr(57381))
WHERE strpos("nameKey", '_') > 0 OR strpos("nameKey", '%') > 0 OR strpos("nameKey", '\') > 0;
