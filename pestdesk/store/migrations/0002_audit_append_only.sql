-- Migration 0002: the audit trail is append-only; SQL behind the app's back cannot rewrite it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON "audit_log"
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON "audit_log"
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE INDEX "audit_log_at" ON "audit_log" ("at");
CREATE INDEX "audit_log_table_record" ON "audit_log" ("table", "record_id");
