-- Migration 0004: sign-in per OWASP, separation of duties, an anchored audit trail.
-- sign_in_throttle: the wait after wrong passwords per typed user name (a keyed hash of it,
-- never the name), for known and unknown names alike, updated atomically before a password is
-- checked. role_grant: a role or department that opens dossiers, asked by one person and
-- confirmed by a directie member; also the confidential notes of a vertrouwenspersoon whose
-- password was reset (sealed until re-granted). user.must_change_password /
-- password_reset_at: a reset password is changed at the next sign-in and the reset is shown.
-- setting audit_head: the audit chain's count and last hash, kept with every audit line.
CREATE TABLE "sign_in_throttle" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "failed_attempts" INTEGER NOT NULL, "last_failed_at" DATETIME);
ALTER TABLE "user" ADD COLUMN "must_change_password" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "user" ADD COLUMN "password_reset_at" DATETIME;
CREATE TABLE "role_grant" ("id" INTEGER NOT NULL PRIMARY KEY, "staff_id" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "value" VARCHAR(255) NOT NULL, "requested_by" INTEGER, "requested_at" DATETIME NOT NULL, "status" VARCHAR(255) NOT NULL, "decided_by" INTEGER, "decided_at" DATETIME, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE CASCADE);
CREATE INDEX "role_grant_staff_id" ON "role_grant" ("staff_id");
CREATE INDEX "role_grant_status" ON "role_grant" ("status");
INSERT OR REPLACE INTO "setting" ("key", "value", "version") VALUES ('throttle_salt', json_quote(lower(hex(randomblob(16)))), 1);
INSERT OR REPLACE INTO "setting" ("key", "value", "version") VALUES ('audit_head', json_object('count', (SELECT count(*) FROM "audit_log"), 'hash', COALESCE((SELECT "hash" FROM "audit_log" ORDER BY "id" DESC LIMIT 1), '')), 1);
