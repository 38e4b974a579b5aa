-- Migration 0006: indexes for a board database. The figures count a school's cases by the
-- day they were reported or closed; with several schools in one file those ranges are
-- searched within the school first (a single-school file gets the same indexes).
CREATE INDEX "case_school_id_reported_on" ON "case" ("school_id", "reported_on");
CREATE INDEX "case_school_id_closed_on" ON "case" ("school_id", "closed_on");
