-- The audit trail is append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused');
END;

CREATE TRIGGER "AuditEvent_no_delete" BEFORE DELETE ON "AuditEvent"
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused');
END;
