"""The coaching pages."""
