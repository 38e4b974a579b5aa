"""The Overzicht section: what is due today."""
