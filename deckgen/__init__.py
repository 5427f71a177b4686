"""deckgen: markdown study notes -> versioned Anki packages."""

__version__ = "0.1.0"
