"""A case: its window, its dialogs (steps, contracts, sanctions, conversations), registering a
report and the case list."""
