"""The notetype's CSS for this build: the deck's fonts, the template stylesheet, code palettes."""

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


def card_css(files: list[NoteFile], font: str = "bundled") -> tuple[str, list[Path]]:
    """Return the CSS Anki receives and the media files it references (the deck's font subsets).

    With font "system" the deck embeds no font: the stylesheet's family list falls through to the
    reader's own Korean fonts.
    """
    _, _, css = template_files()
    subsets = fonts.subset_fonts(files) if font == "bundled" else []
    return fonts.font_face_css(subsets) + css + "\n" + pygments_css(), [f.path for f in subsets]
