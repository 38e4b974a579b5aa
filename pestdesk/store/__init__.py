"""store layer of pestdesk (see docs/architecture.md section 2)."""
