#!/usr/bin/env python3
"""Build Anki decks from markdown notes: the same CLI as `deckgen` and `python -m deckgen`."""

from deckgen.dependencies import main

if __name__ == "__main__":
    main()
