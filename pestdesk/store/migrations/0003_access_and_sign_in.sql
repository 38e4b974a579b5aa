-- Migration 0003: need-to-know and sign-in throttling.
-- staff.departments: the afdeling(en) an afdelingscoordinator/-leider looks after, comma-separated
-- names as in school_class.department. user.last_failed_at: when the last wrong password was
-- given, so the exponential wait after failed attempts survives a restart of the app.
ALTER TABLE "staff" ADD COLUMN "departments" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "user" ADD COLUMN "last_failed_at" DATETIME;
