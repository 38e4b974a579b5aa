"""The figures (Cijfers) section."""
