"""Developer tools (catalog maintenance); not used by the running app."""
