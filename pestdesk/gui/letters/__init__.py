"""The Brieven section and the letter dialogs."""
