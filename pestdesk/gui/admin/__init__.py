"""Beheer: users, rights, audit trail, backups, encryption, imports, calendar, helplines,
retention."""
