"""Stage 5: card notes -> genanki decks -> one .apkg, written atomically and reproducibly."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import genanki

from deckgen.atomic import Staged
from deckgen.errors import DeckgenError
from deckgen.model import CardNote
from deckgen.notetype import field_values, make_notetype


class _TimedNote(genanki.Note):
    """A note that carries its own mtime: Anki updates a note only when this is newer."""

    def __init__(self, *args, mtime: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.mtime = mtime

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # noqa: D102 (genanki hook)
        super().write_to_db(cursor, self.mtime, deck_id, id_gen)


def deck_id(name: str) -> int:
    """Derive a deck id from its full name (Anki matches decks by name; the id just has to be stable)."""
    return 1 + int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big")


def safe_description(description: str) -> str:
    """The deck description as Anki shows it (HTML, on the deck's overview): bold, italics and
    line breaks only, so a deck title can never bring a tag of its own."""
    import nh3

    return nh3.clean(description, tags={"b", "i", "em", "strong", "small", "br"}, attributes={})


def write_package(
    staged: Staged,
    target: Path,
    cards: list[CardNote],
    css: str,
    notetype_mtime: int,
    root_deck: str,
    description: str,
    media: dict[str, Path],
) -> None:
    """Stage the package for `target`; it replaces nothing until the whole build succeeds."""
    model = make_notetype(css)
    decks: dict[str, genanki.Deck] = {
        root_deck: genanki.Deck(deck_id(root_deck), root_deck, description=safe_description(description))
    }
    for card in cards:
        deck = decks.get(card.deck)
        if deck is None:
            deck = decks[card.deck] = genanki.Deck(deck_id(card.deck), card.deck)
        deck.add_note(
            _TimedNote(
                model=model, fields=list(field_values(card.fields)), tags=list(card.tags), guid=card.guid,
                mtime=card.mtime,
            )
        )
    tmp = staged.path_for(target, last=True)
    try:
        _write_apkg(tmp, list(decks.values()), notetype_mtime, media)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise DeckgenError(f"{target}: error: cannot write the package: {reason}") from exc


def _write_apkg(path: Path, decks: list[genanki.Deck], timestamp: int, media: dict[str, Path]) -> None:
    """Write an .apkg whose bytes depend only on its content (fixed zip dates, fixed ids)."""
    fd, db_name = tempfile.mkstemp(suffix=".anki2")
    os.close(fd)
    try:
        conn = sqlite3.connect(db_name)
        try:
            package = genanki.Package(decks)
            package.write_to_db(conn.cursor(), timestamp, itertools.count(timestamp * 1000))
            conn.commit()
        finally:
            conn.close()
        date = time.gmtime(max(timestamp, 315532800))[:6]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            _add(out, "collection.anki2", Path(db_name), date)
            ordered = sorted(media.items())
            names = {str(i): name for i, (name, _) in enumerate(ordered)}
            _add(out, "media", json.dumps(names).encode(), date)
            for i, (_, p) in enumerate(ordered):
                _add(out, str(i), p, date)
    finally:
        Path(db_name).unlink(missing_ok=True)


def _add(out: zipfile.ZipFile, name: str, data: bytes | Path, date: tuple) -> None:
    """Add one member with a fixed date, streaming files (the collection can be tens of MB)."""
    info = zipfile.ZipInfo(name, date_time=date)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if isinstance(data, bytes):
        out.writestr(info, data)
        return
    with data.open("rb") as src, out.open(info, "w") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
