"""The notetype's CSS, the same for every deck: the font blocks, the template stylesheet, code palettes."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import Comment

from deckgen import fonts
from deckgen.model import NoteFile
from deckgen.notetype import template_files


DARK_CODE = "github-dark"

# Pygments ships GitHub's dark palette but not its light one. The card's colours are GitHub's
# (Primer), so light code is github-dark's own token map in the matching colours of GitHub's light
# theme: the same tokens are bold or coloured alike in both modes.
_LIGHT_OF_DARK = {
    "#e6edf3": "#1f2328", "#0d1117": "#ffffff", "#8b949e": "#59636e", "#6e7681": "#6e7781",
    "#ff7b72": "#cf222e", "#ffa198": "#82071e", "#490202": "#ffebe9", "#f85149": "#d1242f",
    "#ffa657": "#953800", "#f0883e": "#953800", "#7ee787": "#116329", "#56d364": "#1a7f37",
    "#0f5323": "#dafbe1", "#a5d6ff": "#0a3069", "#79c0ff": "#0550ae", "#d2a8ff": "#6639ba",
}
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def code_style(light: bool) -> type[Style]:
    """Return github-dark, or its light twin, with upright comments (slanted Hangul is a synthetic
    oblique: no monospace font has Korean italics)."""
    dark = get_style_by_name(DARK_CODE)

    def paint(spec: str) -> str:
        return _HEX.sub(lambda m: _LIGHT_OF_DARK[m.group().lower()], spec) if light else spec

    styles = {token: paint(spec.replace("italic", "noitalic") if token in Comment else spec)
              for token, spec in dark.styles.items()}
    return type("GithubLightStyle" if light else "GithubDarkStyle", (Style,), {
        "name": "github-light" if light else DARK_CODE,
        "background_color": paint(dark.background_color),
        "highlight_color": paint(dark.highlight_color),
        "styles": styles,
    })


@lru_cache(maxsize=1)
def pygments_css() -> str:
    """Return the light and night-mode token colours of highlighted code.

    Only the tokens: the block's background, text colour and border belong to the card's palette
    (templates/style.css), which keeps every token at 4.5:1 or more against it.
    """
    light = HtmlFormatter(style=code_style(light=True)).get_token_style_defs("pre.code")
    dark = HtmlFormatter(style=code_style(light=False)).get_token_style_defs(
        [".nightMode pre.code", ".night_mode pre.code"])
    return "/* code: light */\n" + "\n".join(light) + "\n/* code: night mode */\n" + "\n".join(dark) + "\n"


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
