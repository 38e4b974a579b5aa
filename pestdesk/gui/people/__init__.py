"""Students, staff and guardians."""
