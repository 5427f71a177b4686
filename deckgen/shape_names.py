"""The shapes a note file can be told to be read in (deckgen.toml, front matter, `--shape`).

Apart from the finders in shapes/, so that reading the settings needs no markdown machinery: a
rebuild whose changed files are parsed in a worker process never imports it.
"""

from __future__ import annotations

SHAPES = ("anchored", "bold-bullets", "headings", "details", "qa", "lists")
"""The shapes a file can be told to be read in (detection also reads bold and quoted questions)."""
_ALIASES = {
    "auto": "auto", "bullets": "bold-bullets", "bold": "bold-bullets", "heading": "headings",
    "list": "lists", "numbered": "lists", "q&a": "qa", "q/a": "qa",
}


def canonical(shape: str | None) -> str | None:
    """Return the shape's canonical name, "auto" for none, None if unknown."""
    name = (shape or "auto").strip().lower()
    name = _ALIASES.get(name, name)
    return name if name == "auto" or name in SHAPES else None
