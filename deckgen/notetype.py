"""The one notetype deckgen writes: fields and templates whose schema never changes.

Anki freezes every existing note when a notetype's fields or templates change in number, order or
kind, so this schema is fixed for good; CSS and template HTML may change and update in place.

Every deckgen deck shares this one notetype, so its CSS and templates depend on no deck, and its
mtime is fixed with them (NOTETYPE_MTIME): whichever deck a collection imports last, it keeps the
same notetype.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import genanki

NOTETYPE_ID = 1_706_300_000_042
NOTETYPE_NAME = "deckgen Q&A"


@dataclass(frozen=True, slots=True)
class Template:
    """One card type: its stable id, its name and the files of its front and back."""

    id: int
    name: str
    front: str
    back: str


@dataclass(frozen=True, slots=True)
class Schema:
    """What Anki calls the notetype's schema: the fields and card types, in order, and the sort field.

    Stable ids on every field and template let a renamed one update in place. Anything else
    (another field, another card type, another order) leaves every note a collection already holds
    "conflicting" under Anki's default import options, so a change here is refused unless the
    build is told to migrate (see lock.plan). Grow features inside the existing fields instead.
    """

    fields: tuple[tuple[int, str], ...]
    templates: tuple[Template, ...]
    sort_field: int = 0

    def fingerprint(self) -> str:
        """What the lock records of the schema: the ids and their order, not the names."""
        parts = [NOTETYPE_ID, [fid for fid, _ in self.fields], [t.id for t in self.templates], self.sort_field]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


SCHEMA = Schema(
    fields=(
        (7_301_001, "Question"),
        (7_301_002, "Answer"),
        (7_301_003, "Context"),
        (7_301_004, "Keywords"),
        (7_301_005, "Source"),
    ),
    templates=(Template(7_302_001, "Card", "front.html", "back.html"),),
)
FIELDS = tuple(name for _, name in SCHEMA.fields)

NOTETYPE_MTIME = 1_796_123_709
"""When the notetype (templates and CSS, whose hash is NOTETYPE_HASH) last changed: the notetype
mtime of every package this deckgen writes. Set both anew with any change to the templates, the
CSS or the font blocks (tests/test_notetype_mtime.py says to, with the values to use)."""
NOTETYPE_HASH = "e7fd7c44351a82a3"


@lru_cache(maxsize=1)  # asked for each file a build uses (fonts, templates): it stays where it was found
def templates_dir() -> Path:
    """Locate templates/: inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "front.html").is_file():
            return candidate
    raise FileNotFoundError("deckgen templates are missing from this installation")


@lru_cache(maxsize=1)
def template_files() -> tuple[str, str, str]:
    """Return (front, back, css) as shipped."""
    d = templates_dir()
    return tuple((d / name).read_text(encoding="utf-8") for name in ("front.html", "back.html", "style.css"))


@lru_cache(maxsize=4)
def _template_text(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def templates(schema: Schema | None = None) -> list[dict]:
    """The card types as Anki receives them: name, stable id, front and back."""
    return [{"name": t.name, "id": t.id, "qfmt": _template_text(t.front), "afmt": _template_text(t.back)}
            for t in (schema or SCHEMA).templates]


# What Anki turns into sound, speech or a LaTeX image wherever it appears in a card's HTML:
# `[sound:x.mp3]` plays any file of the collection's media. Written `&#91;sound:`, it shows as
# `[sound:` and plays nothing.
_AV_TAG = re.compile(r"\[(?=sound:|anki:|/anki:|latex\]|/latex\]|\$\$?\]|/\$\$?\])", re.I)


def field_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """What each field holds in Anki: the last pass over every value before it leaves deckgen.

    The Source field is text (a file name may hold anything): no tag of it survives. In every
    field, math commands MathJax must not run are taken out (they can reach a field outside the
    rendered markdown: a heading, a keyword, a file name) and Anki's sound, speech and LaTeX tags
    are written so that Anki shows them and does not act on them.
    """
    from deckgen import mathsafe

    out = []
    for name, value in zip(FIELDS, values, strict=True):
        if name == "Source" and ("<" in value or "&" in value):
            import nh3

            value = nh3.clean(value, tags=set())
        value = mathsafe.neutralise_html(value).text
        if "[" in value:
            value = _AV_TAG.sub("&#91;", value)
        out.append(value)
    return tuple(out)


_PLAIN = re.compile(r"[^<&\\\[]*")


def plain(value: str) -> bool:
    """Whether `value` is text that every field holds as it is (see field_values), in which
    genanki finds no broken tag: nothing to take out, neutralise or escape."""
    return _PLAIN.fullmatch(value) is not None and "_process" not in value


def make_notetype(css: str) -> genanki.Model:
    """Build the genanki model with the given CSS (font rules are added per build)."""
    import genanki

    return genanki.Model(
        NOTETYPE_ID,
        NOTETYPE_NAME,
        fields=[{"name": name, "id": fid} for fid, name in SCHEMA.fields],
        templates=templates(),
        css=css,
        sort_field_index=SCHEMA.sort_field,
    )


def notetype_hash(css: str) -> str:
    """Hash everything deckgen gives Anki of the notetype, to know when it changed: its id and
    name, the fields and card types with their ids and order, the sort field, the templates, the CSS."""
    whole = [NOTETYPE_ID, NOTETYPE_NAME, [list(f) for f in SCHEMA.fields], templates(), SCHEMA.sort_field, css]
    return hashlib.sha256(json.dumps(whole, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def notetype_mtime(new_hash: str, old_hash: str | None, old_mtime: int) -> int:
    """Return the mtime a package gives the notetype, knowing what the deck's lock last recorded.

    Anki updates a notetype only from a package whose notetype mtime is strictly newer. Every deck
    built by one deckgen gets NOTETYPE_MTIME, so importing them in any order leaves their one
    notetype, and a deck built by a later deckgen (a later NOTETYPE_MTIME) updates it. An unchanged
    notetype keeps its mtime. A lock that recorded a later one (a deck built by an earlier deckgen
    after this notetype was made, or with a clock set ahead) gets one second more, so that this
    notetype still replaces the one that deck imported.
    """
    if old_hash == new_hash:
        return old_mtime
    return max(NOTETYPE_MTIME, old_mtime + 1)
