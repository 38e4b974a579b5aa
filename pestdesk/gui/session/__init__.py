"""Starting a session: first-run set-up, sign-in, the idle lock, the shared file."""
