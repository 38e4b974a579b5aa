"""The main window's sections (Overzicht, Leerlingen, Meldingen, Overleggen, Brieven, Beheer)."""
