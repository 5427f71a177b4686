"""The notetype's CSS, the same for every deck: the font blocks, the template stylesheet, code palettes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pygments.formatters import HtmlFormatter

from deckgen import fonts
from deckgen.model import NoteFile
from deckgen.notetype import template_files


@lru_cache(maxsize=1)
def pygments_css() -> str:
    """Return light and night-mode palettes for highlighted code."""
    light = HtmlFormatter(style="default").get_style_defs("pre.code")
    dark = HtmlFormatter(style="monokai").get_style_defs(
        [".nightMode pre.code", ".night_mode pre.code", ".card.nightMode pre.code"]
    )
    return f"/* code: light */\n{light}\n/* code: night mode */\n{dark}\n"


def notetype_css() -> str:
    """Return the notetype's CSS: the same for every deck, whatever its cards hold or its settings.

    Every deckgen deck shares one notetype, and Anki keeps the CSS of whichever package updated it
    last; so the CSS names every font block, each by its unicode-range, and never depends on a deck.
    """
    _, _, css = template_files()
    return fonts.font_face_css(fonts.faces()) + css + "\n" + pygments_css()


def card_css(files: list[NoteFile], font: str = "bundled") -> tuple[str, list[Path]]:
    """Return the CSS Anki receives and the media files the deck ships (its font subsets).

    The CSS is notetype_css(), the same for every deck. A deck ships the base subsets and the blocks
    its cards use; with font "system" it ships none, and its cards fall through the family list to
    the reader's own Korean fonts unless another deckgen deck in the collection brought them.
    """
    return notetype_css(), [] if font == "system" else [f.path for f in fonts.deck_fonts(files)]
