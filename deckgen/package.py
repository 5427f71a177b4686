"""Stage 5: card notes -> genanki decks -> one .apkg, written atomically and reproducibly."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from deckgen.atomic import Staged
from deckgen.errors import DeckgenError
from deckgen.model import CardNote, Diagnostic, Prepared
from deckgen.notetype import FIELDS, field_values, make_notetype

if TYPE_CHECKING:
    import genanki

# genanki is imported where a package is written: a file parsed in a worker process needs only
# what packaged_fields finds, and genanki's imports (asyncio among them) take about 0.05 s.


def findings(values: tuple[str, ...]) -> list[str]:
    """What genanki's check of each field (Note._check_invalid_html_tags_in_fields) would warn
    about in a note's packaged field values, in one pass per field."""
    warned = []
    for name, value in zip(FIELDS, values, strict=True):
        found = invalid_html_tags(value)
        if found:
            shown = ", ".join(_show(tag) for tag in found[:3])
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            warned.append(f"the {name} field holds what genanki takes for a broken HTML tag: {shown}{more}")
    return warned


# genanki's test of each `<` (Note._INVALID_HTML_TAG_RE) is
#     <(?!/?[a-zA-Z0-9]+(?: .*|/?)>|!--|!\[CDATA\[)(?:.|\n)*?>
# whose ` .*` runs to the end of the line for every tag: a field of n tags on one line costs n²
# (100,000 math spans on a line: a minute). invalid_html_tags finds the same matches in one pass.
#
# Nearly every `<` of a rendered field starts a tag whose `>` comes before any newline or other
# `<`: _SUSPECT passes over those (its scan of each stops at the next `<`, so no character is
# read twice) and stops at any other `<`, which the loop then tests as genanki does, with
# searches for the next ">" and newline that never go back.
_SUSPECT = re.compile(r"<(?!/?[a-zA-Z0-9]+(?:/?>| [^\n<>]*>)|!--|!\[CDATA\[)")
_TAG_HEAD = re.compile(r"!--|!\[CDATA\[|/?[a-zA-Z0-9]+(/?>| )?")


def invalid_html_tags(field: str) -> list[str]:
    """What genanki warns about in a field: each `<` that does not start a tag, a comment or
    CDATA on its line, up to the next `>` (a tag whose `>` is on another line counts)."""
    found: list[str] = []
    suspect = _SUSPECT.search(field) if "<" in field else None
    gt = nl = -2  # the next ">" / newline at or after the last position asked about (-1: none)

    def next_gt(q: int) -> int:
        nonlocal gt
        if gt != -1 and gt < q:
            gt = field.find(">", q)
        return gt

    def next_nl(q: int) -> int:
        nonlocal nl
        if nl != -1 and nl < q:
            nl = field.find("\n", q)
        return nl

    while suspect is not None:
        i = suspect.start()
        head = _TAG_HEAD.match(field, i + 1)
        if head is not None and head.group(1) == " ":  # a tag, if its ">" is on this line
            close, line_end = next_gt(head.end()), next_nl(head.end())
            if close >= 0 and (line_end < 0 or close < line_end):
                suspect = _SUSPECT.search(field, i + 1)
                continue
        close = next_gt(i + 1)
        if close < 0:
            break  # no ">" after it: nothing from here on matches
        found.append(field[i:close + 1])
        suspect = _SUSPECT.search(field, close + 1)
    return found


def _show(tag: str) -> str:
    """A found tag on one line of a message, shortened."""
    tag = tag.replace("\r", "\\r").replace("\n", "\\n")
    return tag if len(tag) <= 80 else tag[:60] + "…" + tag[-10:]


def note_ids(cards: list[CardNote], cards_per_note: int = 1) -> list[int]:
    """Each note's id, in milliseconds from when it was first built: Anki shows it as the note's
    and card's "added" date and keeps it on import. Notes added at once follow their positions;
    ids stay unique, with room between them for each note's cards."""
    ids = [0] * len(cards)
    last = -cards_per_note
    for i in sorted(range(len(cards)), key=lambda i: (cards[i].added, cards[i].position, i)):
        last = ids[i] = max(last + cards_per_note, cards[i].added * 1000)
    return ids


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
    packaged: Sequence[Prepared] | None = None,
) -> tuple[list[Diagnostic], Zipping]:
    """Stage the package for `target`; it replaces nothing until the whole build succeeds.

    The collection is written here, and zipped in a thread of its own (see Zipping) while the
    caller stages the rest, which it waits for before it replaces anything.

    `packaged`, where given, holds each card's field values as a package holds them and what
    genanki would warn about in them (see `packaged_fields`), found beforehand; else they are
    found here. Returns a warning at its note for each field genanki would have warned about."""
    import genanki

    model = make_notetype(css)
    decks: dict[str, genanki.Deck] = {
        root_deck: genanki.Deck(deck_id(root_deck), root_deck, description=safe_description(description))
    }
    notes: dict[str, list[tuple[str, int, tuple[str, ...], tuple[str, ...], int, int]]] = {root_deck: []}
    warned: list[Diagnostic] = []
    for n, (card, note_id) in enumerate(zip(cards, note_ids(cards, len(model.templates)), strict=True)):
        deck = decks.get(card.deck)
        if deck is None:
            deck = decks[card.deck] = genanki.Deck(deck_id(card.deck), card.deck)
            notes[card.deck] = []
        values, found = (packaged[n].values, packaged[n].findings) if packaged is not None else (
            packaged_fields(card.fields))
        notes[card.deck].append((card.guid, card.mtime, card.tags, values, note_id, card.position))
        warned.extend(Diagnostic("warning", message, card.note.location) for message in found)
    tmp = staged.path_for(target, last=True)
    size = sum(len(value) for held in notes.values() for *_, values, _id, _due in held for value in values)
    try:
        zipping = Zipping(target, tmp, partial(_write_collection_file, model, list(decks.values()),
                                               list(notes.values()), notetype_mtime), media, notetype_mtime,
                          fork=_FORKS and size >= _FORK_FROM)
    except (OSError, sqlite3.Error) as exc:
        raise _cannot_write(target, exc) from exc
    return warned, zipping


def _cannot_write(target: Path, exc: Exception) -> DeckgenError:
    reason = getattr(exc, "strerror", None) or exc
    return DeckgenError(f"{target}: error: cannot write the package: {reason}")


def packaged_fields(fields: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A note's field values as the package holds them, and what genanki would warn about in them."""
    values = field_values(fields)
    if all(v is f for v, f in zip(values, fields, strict=True)):
        values = fields  # the same texts: one tuple of them is kept, and cached
    return values, tuple(findings(values))


def _write_collection_file(model: genanki.Model, decks: list[genanki.Deck], notes: list[list[tuple]],
                           timestamp: int) -> Path:
    """Write the package's collection to a scratch file and return its path (the caller removes
    it). It is written to a file, not kept in memory: it is most of what a build holds."""
    fd, db_name = tempfile.mkstemp(suffix=".anki2")
    os.close(fd)
    try:
        conn = sqlite3.connect(db_name)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to roll back to
            conn.execute("PRAGMA synchronous = OFF")
            # Notes of 1-2 KB each fill 16 KB pages better than the 4 KB default: the benchmark's
            # collection of 10,000 notes is 14.7 MB instead of 16.0, written in 0.13 s instead of
            # 0.16 (medians of 5).
            conn.execute("PRAGMA page_size = 16384")
            write_collection(conn.cursor(), model, decks, notes, timestamp)
            conn.commit()
        finally:
            conn.close()
    except BaseException:
        Path(db_name).unlink(missing_ok=True)
        raise
    return Path(db_name)


class Zipping:
    """The .apkg written from its collection and media while the build stages its changelog and
    lock: its bytes depend only on its content (fixed zip dates, members in a fixed order),
    wherever they are written.

    Where processes fork (Linux) and the collection is large (see _FORK_FROM), a child process
    writes the collection and zips it, on a core of its own, while this one writes the lock:
    for 10,000 notes about 0.2 s and 0.1 s, one after the other before; a one-off rebuild after
    a one-question edit took 0.98 s against 1.04 s so (medians of 6, side by side). Else the
    collection is written here and zipped in a thread (zlib lets go of the interpreter while it
    deflates)."""

    def __init__(self, target: Path, path: Path, collection: Path | Callable[[], Path], media: dict[str, Path],
                 timestamp: int, fork: bool | None = None) -> None:
        """`collection`: the collection file, or what writes it and returns its path; `fork`:
        whether a child process writes it (where processes fork, unless told)."""
        self.target = target
        self._error: BaseException | None = None
        self._thread = self._child = None
        if callable(collection) and (_FORKS if fork is None else fork):
            self._child = _Child(lambda: self._write(path, collection(), media, timestamp))
            return
        import threading

        if callable(collection):
            collection = collection()
        out = _opened(path, collection)  # opened here: what the thread writes is never left behind
        self._thread = threading.Thread(target=self._run, args=(out, collection, media, timestamp),
                                        name="deckgen-zip", daemon=True)
        self._thread.start()

    def _write(self, path: Path, collection: Path, media: dict[str, Path], timestamp: int) -> None:
        out = _opened(path, collection)
        self._run(out, collection, media, timestamp)
        if self._error is not None:
            raise self._error

    def _run(self, out: zipfile.ZipFile, collection: Path, media: dict[str, Path], timestamp: int) -> None:
        try:
            date = time.gmtime(max(timestamp, 315532800))[:6]
            with out:
                _add(out, "collection.anki2", collection, date)
                ordered = sorted(media.items())
                names = {str(i): name for i, (name, _) in enumerate(ordered)}
                _add(out, "media", json.dumps(names).encode(), date)
                for i, (name, p) in enumerate(ordered):
                    _add(out, str(i), p, date, deflate=not name.lower().endswith(_COMPRESSED))
        except BaseException as exc:  # noqa: BLE001 (told by wait(), in the build's own thread)
            self._error = exc
        finally:
            collection.unlink(missing_ok=True)

    def wait(self, quiet: bool = False) -> None:
        """Wait until the package is written (through Ctrl-C, which is raised after: the file
        is done with first); raise what kept it from being written. `quiet`: the build fails
        anyway, so raise nothing."""
        interrupted = False
        while self._thread is not None and self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt:
                interrupted = True
        while self._child is not None:
            try:
                self._error = self._child.result()
                break
            except KeyboardInterrupt:
                interrupted = True
        if quiet:
            return
        if interrupted:
            raise KeyboardInterrupt
        if isinstance(self._error, (OSError, sqlite3.Error)):
            raise _cannot_write(self.target, self._error) from self._error
        if self._error is not None:
            raise self._error


def _opened(path: Path, collection: Path) -> zipfile.ZipFile:
    """The package's zip file, opened for writing; the collection is removed if it cannot be."""
    try:
        return zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
    except BaseException:
        collection.unlink(missing_ok=True)
        raise


_FORKS = sys.platform.startswith("linux")
_FORK_FROM = 4 << 20
"""The characters of field text from which a child process writes the collection: forking costs
more than it saves for 1,000 notes of the benchmark (about 1.6 million characters: a one-off
rebuild after an edit took 1.05 times as long so as with the collection written in a thread),
and saves more the larger the collection (10,000 notes: 0.96 times as long; medians of the
ratios of 20 and 12 pairs of runs, interleaved)."""


class _Child:
    """`work` run in a forked child process, which ignores Ctrl-C (the build decides what an
    interrupt stops) and sends back what it raised."""

    def __init__(self, work: Callable[[], None]) -> None:
        read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: it never returns, and nothing of the parent's is flushed or run at its exit
            code = 1
            try:
                os.close(read)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                try:
                    work()
                    code = 0
                except BaseException as exc:  # noqa: BLE001 (sent to the parent)
                    try:
                        sent = pickle.dumps(exc)
                    except Exception:  # noqa: BLE001 (an exception that cannot be pickled: its text)
                        sent = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
                    with os.fdopen(write, "wb") as pipe:
                        pipe.write(sent)
            finally:
                os._exit(code)
        os.close(write)
        self._pipe = read
        self._sent = bytearray()
        self._done: tuple[BaseException | None] | None = None

    def result(self) -> BaseException | None:
        """Wait for the child; what it raised, if it did. A Ctrl-C meanwhile is raised, and what
        was read so far is kept for the next call."""
        if self._done is None:
            while chunk := os.read(self._pipe, 1 << 16):  # to its end: the child has exited, or is about to
                self._sent += chunk
            _, status = os.waitpid(self._pid, 0)
            os.close(self._pipe)
            code = os.waitstatus_to_exitcode(status)
            if self._sent:
                error: BaseException | None = pickle.loads(self._sent)
            elif code:
                error = RuntimeError(f"the process writing the package stopped ({_stopped(code)})")
            else:
                error = None
            self._done = (error,)
        return self._done[0]


def _stopped(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"exit status {code}"


def write_collection(cursor: sqlite3.Cursor, model: genanki.Model, decks: list[genanki.Deck],
                     notes: list[list[tuple[str, int, tuple[str, ...], tuple[str, ...], int, int]]],
                     timestamp: int) -> None:
    """Write the rows genanki.Package.write_to_db writes for these decks, each holding its
    `notes` of (GUID, mtime, tags, field values, note id, new-card position) as notes of `model`
    that carry their own mtime (Anki updates a note only when it is newer) and id (Anki's "added"
    date: the note and its first card share it, its other cards take the milliseconds after it),
    with the notes and cards written in two statements instead of genanki's per-note objects, and
    the collection's decks and notetypes written once instead of read back, extended and
    rewritten for every deck (n decks cost n²: 5,000 one-question files took nine minutes).

    The notetypes' JSON is genanki's too: genanki adds the notetype under an int key to what it
    read back under a str one, so its JSON names the notetype twice, once with the deck before
    last and once with the last deck that has notes.
    """
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    cursor.executescript(APKG_SCHEMA)
    cursor.executescript(APKG_COL)
    (decks_json,) = cursor.execute("SELECT decks FROM col").fetchone()
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    all_decks = json.loads(decks_json)
    models = json.loads(models_json)
    for deck, held in zip(decks, notes, strict=True):
        if not isinstance(deck.deck_id, int) or not isinstance(deck.name, str):
            raise TypeError(f"deck {deck.name!r} has id {deck.deck_id!r}")
        all_decks[str(deck.deck_id)] = deck.to_json()
        models = {str(k): v for k, v in models.items()}  # what genanki reads back of its last write
        if held:
            models[model.model_id] = model.to_json(timestamp, deck.deck_id)
    cursor.execute("UPDATE col SET decks = ?", (json.dumps(all_decks),))
    cursor.execute("UPDATE col SET models = ?", (json.dumps(models),))
    # The cards genanki gives a note of a front/back notetype: one per template whose required
    # fields are filled (all, or any, of them).
    required = [(ord_, all if how == "all" else any, fields) for ord_, how, fields in model._req]
    mid, sortf = model.model_id, model.sort_field_index

    def card_rows():
        for deck, held in zip(decks, notes, strict=True):
            did = deck.deck_id
            for _guid, mtime, _tags, values, nid, due in held:
                k = 0
                for ord_, op, fields in required:
                    if op(values[i] for i in fields):
                        yield (nid + k, nid, did, ord_, mtime, -1, 0, 0, due, 0, 0, 0, 0, 0, 0, 0, 0, "")
                        k += 1

    # The rows are made one at a time as SQLite takes them: a row's joined fields, or the cards'
    # rows, are never all in memory at once.
    rows = ((nid, guid, mid, mtime, -1, " " + " ".join(tags) + " ", "\x1f".join(values), values[sortf], 0, 0, "")
            for held in notes for guid, mtime, tags, values, nid, _due in held)
    cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", rows)
    cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows())


# Deflate's fastest level: the collection of 10,000 notes (16 MB) is deflated in 0.06 s to 2.1 MB,
# against 0.15 s to 1.6 MB at zlib's default (6), which most of a rebuild's package waited for.
_LEVEL = 1


# Media whose format is compressed already: deflate makes them no smaller, and it is slowest on
# such bytes (the two font subsets of every deck, 330 KB: 8 ms, as long as the 1.8 MB collection
# of 1,000 notes takes). They are stored as they are.
_COMPRESSED = (".woff2", ".woff", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".mp3", ".m4a", ".ogg",
               ".opus", ".mp4", ".webm")


def _add(out: zipfile.ZipFile, name: str, data: bytes | Path, date: tuple, deflate: bool = True) -> None:
    """Add one member with a fixed date, deflated unless told not to, streaming files (an image
    can be large) in steps of 8 MB: each step waits for the interpreter, which the build's own
    thread holds meanwhile."""
    info = zipfile.ZipInfo(name, date_time=date)
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    # The level of a member written through ZipFile.open: public from Python 3.13 on.
    setattr(info, "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel", _LEVEL)
    info.external_attr = 0o644 << 16
    if isinstance(data, bytes):
        out.writestr(info, data)
        return
    with data.open("rb") as src, out.open(info, "w") as dst:
        shutil.copyfileobj(src, dst, 1 << 23)
