-- Migration 0005: several schools in one database (a board). Every school-owned row names
-- its school; the rows already here all belong to the one school this file was (school 1,
-- named after its profile). Staff work for the school that added them and, through
-- staff_school, for more. Numbers (student, case, class, staff code) are unique per school.
-- Settings are per school (profile and letterhead, protocol preset, calendar, letter
-- templates, ...) or board-wide (school_id 0: the audit head, the sign-in salt, ...).
-- SQLite cannot add a column with a REFERENCES clause and a default, so school_id is a plain
-- column here; schools are never deleted. The first school takes its profile's name right
-- after this file (migrations/__init__.py).
CREATE TABLE "school" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "name" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "school_name" ON "school" ("name");
INSERT INTO "school" ("version", "created_at", "updated_at", "name") VALUES (1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'School');
CREATE TABLE "staff_school" ("id" INTEGER NOT NULL PRIMARY KEY, "staff_id" INTEGER NOT NULL, "school_id" INTEGER NOT NULL, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE CASCADE, FOREIGN KEY ("school_id") REFERENCES "school" ("id") ON DELETE RESTRICT);
CREATE UNIQUE INDEX "staff_school_staff_id_school_id" ON "staff_school" ("staff_id", "school_id");
CREATE INDEX "staff_school_school_id" ON "staff_school" ("school_id");
ALTER TABLE "staff" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "school_class" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "class_mentor" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "student" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "guardian" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "student_guardian" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "case" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "involvement" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "event" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "agreement" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "contract" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "sanction" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "meeting" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "agenda_item" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "consent" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "action" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "letter" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "attachment" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "helpline" ADD COLUMN "school_id" INTEGER NOT NULL DEFAULT 1;
DROP INDEX "staff_code";
CREATE UNIQUE INDEX "staff_school_id_code" ON "staff" ("school_id", "code");
DROP INDEX "school_class_name";
CREATE UNIQUE INDEX "school_class_school_id_name" ON "school_class" ("school_id", "name");
DROP INDEX "student_number";
CREATE UNIQUE INDEX "student_school_id_number" ON "student" ("school_id", "number");
DROP INDEX "case_number";
CREATE UNIQUE INDEX "case_school_id_number" ON "case" ("school_id", "number");
CREATE TABLE "setting_new" ("school_id" INTEGER NOT NULL DEFAULT 0, "key" VARCHAR(255) NOT NULL, "value" TEXT NOT NULL, "version" INTEGER NOT NULL, PRIMARY KEY ("school_id", "key"));
INSERT INTO "setting_new" ("school_id", "key", "value", "version") SELECT CASE WHEN "key" IN ('school_profile', 'school_calendar', 'helplines_seeded', 'letter_window', 'retention_years', 'demo') OR "key" LIKE 'letter\_template:%' ESCAPE '\' THEN 1 ELSE 0 END, "key", "value", "version" FROM "setting";
DROP TABLE "setting";
ALTER TABLE "setting_new" RENAME TO "setting";
