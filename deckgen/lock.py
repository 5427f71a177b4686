"""Stage 4: the lock file — GUIDs, content hashes, mtimes and the version across rebuilds.

`deckgen.lock` (JSON, committed beside the notes) remembers every note's GUID and when its content
last changed. Anki updates a note only when the incoming mtime is strictly newer, so an unchanged
note keeps its old mtime (its tags and fields in Anki are left alone) and an edited one gets a new one.

Format 2 writes one line per note: a row of the values named by "columns" (GUID, file, question,
content hash, mtime, when it was added, and a 42-character sketch of the answer, see ids.sketch;
null for a value it does not have), then an object with
whatever else the note has ("key" where it is not the file and the folded question, or "^" for a
sub-question's key under the question above it; "pinned"; a "deck" other than its file's in
"decks"; and any field added later). A lock of format 1 (one
object per note, with the start of the answer as text) is read as well, and written again in
format 2 by the next build that writes the lock; no note is matched anew for that.

The lock is read strictly: anything a hand, a merge or another tool may have broken is an error at
its line, never a silent fresh start (new GUIDs would duplicate every card). A deleted lock is
rebuilt from the newest package deckgen wrote, which holds every note's GUID, fields and mtime.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import NoReturn

from deckgen import ids
from deckgen.atomic import Staged
from deckgen.errors import DeckgenError, Problems
from deckgen import notetype
from deckgen.model import BuildConfig, CardNote, Change, DeckConfig, Diagnostic, Note, NoteFile, Prepared, SourceLocation
from deckgen.notetype import FIELDS, NOTETYPE_NAME, notetype_hash, notetype_mtime, template_files
from deckgen.sources import LOCK_NAME, display_path
from deckgen.textsafe import field_text, html_text, markdown_text

LOCK_FORMAT = 2
COLUMNS = ("guid", "file", "question", "hash", "mtime", "added", "sketch")
"""The values of a note's row in a lock of format 2, in order."""
_REQUIRED_COLUMNS = ("guid", "file", "question", "hash", "mtime")
CHANGELOG_NAME = "CHANGELOG.md"
MAX_TIME = 253_402_300_799
"""The last second of the year 9999: no mtime or date in a lock may be later (nor negative)."""
_MAX_DEPTH = 32  # a lock nests four levels; anything deeper is not one
_MAX_LISTED = 20  # problems listed for one lock file; the rest are counted
_MAX_COLLECTION = 1 << 30  # bytes of a package's collection read to recover a lock
_VERSION = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}")
_CONFLICT = re.compile(r"^(<{7}|>{7}|={7}|\|{7})(?=\s|$)", re.M)


@dataclass(frozen=True, slots=True)
class Plan:
    """What this build will write: notes with GUIDs and mtimes, the version, what changed."""

    version: str
    cards: tuple[CardNote, ...]
    changes: tuple[Change, ...]
    notetype_mtime: int
    description: str
    up_to_date: bool
    notetype_changed: bool
    state: dict
    schema_changed: bool = False
    steps: tuple[str, ...] = ()
    packaged: tuple[Prepared, ...] = ()
    """For each card: its field values as the package holds them, and what genanki would warn about."""


def _restore_advice(shown: str) -> str:
    return (
        f"restore it from version control (e.g. `git checkout -- {shown}`), or move it away and build: "
        "the GUIDs are then recovered from the newest package in the output folder"
    )


def _read_regular(path: Path, what: str) -> bytes:
    """Read a file that must be a regular one (a pipe would hang the build, a folder is no file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _Problem(0, f"cannot read the {what}: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _Problem(0, f"the {what} is a folder, not a file; move it away")
        if not stat.S_ISREG(mode):
            raise _Problem(0, f"the {what} is not a regular file (a pipe or a device); move it away")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    except OSError as exc:
        raise _Problem(0, f"cannot read the {what}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


_written: tuple[bytes, dict] | None = None
"""In a process that builds again and again (see keep_written), the last lock it wrote: its bytes
and its state."""
_keeping = False


def keep_written() -> None:
    """Keep the state of each lock this process writes: a lock read back with those bytes is that
    state, not read again (the lock of 10,000 notes took a tenth of the build that made it)."""
    global _keeping
    _keeping = True


def load(root: Path) -> dict | None:
    """Read and check the lock; None if there is none. A broken one raises DeckgenError.

    The state returned is not to be changed: it may be the one this process wrote (see keep_written)."""
    path = root / LOCK_NAME
    if not os.path.exists(path):  # a link to a lock not written yet is no lock, too
        return None
    shown = display_path(path)
    try:
        data = _read_regular(path, "lock file")
    except _Problem as exc:
        _fail(shown, [(exc.line, exc.message)])
    if _written is not None and _written[0] == data:
        return _written[1]
    return parse(data, shown)


def read(deck: DeckConfig, problems: Problems) -> dict | None:
    """Read the lock of `deck` (None if there is none); warn in `problems` if it is another deck's.

    A broken lock raises DeckgenError: its diagnostics are the problems at their lines, its
    message says how to restore the lock.
    """
    state = load(deck.root)
    if state is not None:
        _warn_other_deck(state, deck, problems)
    return state


def _warn_other_deck(state: dict, deck: DeckConfig, problems: Problems) -> None:
    old_slug, old_title = state.get("slug"), state.get("title")
    path = deck.root / LOCK_NAME
    if old_slug not in (None, deck.slug):
        line = _lines_of(path).get(("slug",), 0)
        problems.warn(
            SourceLocation(display_path(path), line),
            f'this lock was written for the deck "{old_title}" (slug "{old_slug}"), not for this deck '
            f'"{deck.title}" (slug "{deck.slug}"); its GUIDs are used, so importing updates the notes '
            f'of "{old_title}" in Anki (move the lock away to make this a deck of its own)',
        )


def _lines_of(path: Path) -> dict[tuple, int]:
    try:
        return _Lines.of(_read_regular(path, "lock file").decode("utf-8-sig"))
    except (_Problem, UnicodeDecodeError):
        return {}


def parse(data: bytes, shown: str) -> dict:
    """Parse and check a lock file's bytes; every problem is a DeckgenError at its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        _fail(shown, [(line, "the lock file is not UTF-8 text; it is not a deckgen lock")])
    if any(marker * 7 in text for marker in "<=>|") and (m := _CONFLICT.search(text)):
        line = text.count("\n", 0, m.start()) + 1
        raise DeckgenError(
            f"error: {shown} has unresolved merge conflicts; keep one side whole "
            f"(e.g. `git checkout --theirs -- {shown}`) and build: deckgen matches the other "
            "side's questions again by their text",
            (Diagnostic("error", f"the lock file has a merge conflict marker ({m.group(1)})",
                        SourceLocation(shown, line)),),
        )
    duplicated: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        found = dict(items)
        if len(found) != len(items):
            duplicated.append("")
        return found

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        state = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        _fail(shown, [(exc.lineno, f"the lock file is corrupt ({exc.msg})")])
    except (ValueError, RecursionError) as exc:
        problem = _Lines.problem(text)
        _fail(shown, [problem or (0, f"the lock file is corrupt ({exc})")])
    if duplicated:
        problem = _Lines.problem(text)
        _fail(shown, [problem or (0, "the lock file has a key twice in one object")])
    if _SURROGATE_ESCAPE.search(text):  # only an escape can put half a character into a string
        halves = _half_characters(state)
        if halves:
            lines = _Lines.of(text)
            _fail(shown, sorted((_line(lines, path), "the lock file is corrupt (a string holds half of a character: "
                                 "a lone surrogate escape such as \\ud800)") for path in halves))
    if isinstance(state, dict) and type(state.get("format")) is int and state["format"] > LOCK_FORMAT:
        line = _Lines.of(text).get(("format",), 0)
        raise DeckgenError(
            f"error: {shown} cannot be used: upgrade deckgen to build this deck",
            (Diagnostic("error", f"the lock file was written by a newer deckgen (format {state['format']})",
                        SourceLocation(shown, line)),),
        )
    rows = None
    if isinstance(state, dict) and state.get("format") == 2:
        state, rows, problems = _from_rows(state)
    else:
        problems = []
    problems = problems or _check(state)
    if problems:
        lines = _Lines.of(text)
        found = []
        for path, message, *also in problems:
            if also:
                message = message.replace("{line}", str(_line(lines, rows.where(also[0]) if rows else also[0])))
            found.append((_line(lines, rows.where(path) if rows else path), message))
        _fail(shown, found)
    _normalise(state)
    if state["format"] == 1:  # the start of each answer becomes its sketch; written as format 2 next time
        for entry in state["notes"]:
            entry["sketch"] = ids.sketch(entry.pop("answer", ""))
    return state


class _Rows:
    """Where each value of a format-2 lock's notes is in its JSON, for the messages."""

    def __init__(self, columns: list[str], extras: list[dict]):
        self.columns = {name: i for i, name in enumerate(columns)}
        self.extras = extras

    def where(self, path: tuple) -> tuple:
        """The JSON path of what _check calls ("notes", n, key) in the entries made of the rows."""
        if len(path) < 3 or path[0] != "notes" or not isinstance(path[1], int):
            return path
        n, key = path[1], path[2]
        if key in self.columns:
            return ("notes", n, self.columns[key], *path[3:])
        if n < len(self.extras) and key in self.extras[n]:
            return ("notes", n, len(self.columns), key, *path[3:])
        return ("notes", n)


def _from_rows(state: dict) -> tuple[dict, _Rows | None, list[tuple]]:
    """Read a format-2 lock's rows into note entries as format 1 has them (with "sketch").

    Returns the state with those entries, where each value was, and what is wrong with the
    rows' shape (the entries' values are checked by _check, as those of format 1)."""
    found: list[tuple] = []
    columns, decks, rows = state.get("columns"), state.get("decks", {}), state.get("notes")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)
            and len(set(columns)) == len(columns)):
        found.append((("columns",), '"columns" must be a list of the names of the values in each note\'s row'))
    elif missing := [c for c in _REQUIRED_COLUMNS if c not in columns]:
        found.append((("columns",), f'"columns" has no "{missing[0]}"'))
    if not (isinstance(decks, dict) and all(isinstance(d, str) for d in decks.values())):
        found.append((("decks",), '"decks" must be an object naming each file\'s deck'))
    if found or not isinstance(rows, list):
        return state, None, found
    entries, extras = [], []
    width = len(columns)
    above: dict[object, str] = {}  # each file's last key that is not a sub-question's
    for n, row in enumerate(rows):
        values = row[:-1] if isinstance(row, list) and row and isinstance(row[-1], dict) else row
        if not isinstance(row, list) or len(values) != width:  # the values themselves: see _check
            shape = (f"{len(values)} values{' and an object' if len(values) < len(row) else ''}"
                     if isinstance(row, list) else _kind(row))
            found.append((("notes", n), f"the lock file's note {n + 1} is malformed: it holds {shape}, not the "
                          f"{width} values of \"columns\" (then an object with the rest)"))
            extras.append({})
            continue
        more = row[width] if len(row) > width else {}
        entry = {**more, **{c: v for c, v in zip(columns, row) if v is not None}}
        file, question = entry.get("file"), entry.get("question")
        if isinstance(file, str) and isinstance(question, str):
            if "key" not in more:
                entry["key"] = default_key(file, question)
            elif more["key"] == SUB_KEY and file in above:
                entry["key"] = f"{above[file]}/{ids.fold(question)}"
            if _may_be_parent(entry.get("key"), file):
                above[file] = entry["key"]
        if "deck" not in more and isinstance(file, str) and file in decks:
            entry["deck"] = decks[file]
        entries.append(entry)
        extras.append(more)
    if found:
        return state, _Rows(columns, extras), found
    rest = {k: v for k, v in state.items() if k not in ("columns", "decks", "notes")}
    return {**rest, "notes": entries}, _Rows(columns, extras), []


SUB_KEY = "^"
"""A note row's "key" that stands for the key of the row above it in its file (that of no
sub-question), then "/" and the note's question folded: the key of a sub-question."""


def _may_be_parent(key: object, file: str) -> bool:
    """Whether a note of `file` with this key is the one a sub-question row below it ("^") names:
    a key of its own that is no sub-question's."""
    return isinstance(key, str) and key != SUB_KEY and not _is_sub_key(key, file)


def _is_sub_key(key: str, file: str) -> bool:
    """Whether a key is a sub-question's: its file, then its parent and itself folded (no "/" in either)."""
    return key.startswith(f"{file}::") and "/" in key[len(file) + 2 :]


def default_key(file: str, question: str) -> str:
    """The identity key of a question that has no anchor and no parent: its file and folded text."""
    return f"{file}::{ids.fold(question)}"


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _half_characters(state: object) -> list[tuple]:
    """The paths of the strings (values or keys) holding a lone surrogate, which no file can hold
    as UTF-8: such a lock could be read but never written again."""
    found: list[tuple] = []
    stack: list[tuple[tuple, object]] = [((), state)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _encodable(value):
                found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    found.append(path)
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, n), item) for n, item in enumerate(value))
    return found


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fail(shown: str, problems: list[tuple[int, str]]) -> NoReturn:
    listed = [Diagnostic("error", message, SourceLocation(shown, line)) for line, message in problems[:_MAX_LISTED]]
    if len(problems) > _MAX_LISTED:
        listed.append(Diagnostic("error", f"… and {len(problems) - _MAX_LISTED} more problems in the lock file",
                                 SourceLocation(shown, 0)))
    raise DeckgenError(f"error: {shown} cannot be used: {_restore_advice(shown)}", tuple(listed))


def _line(lines: dict[tuple, int], path: tuple) -> int:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 0


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object",
            type(None): "null"}.get(type(value), "a value")


def _check(state: object) -> list[tuple]:
    """List what is wrong with a parsed lock: (path of the value, message[, path it refers to])."""
    if not isinstance(state, dict):
        return [((), f"the lock file is not a deckgen lock (it holds {_kind(state)}, not an object)")]
    found: list[tuple] = []

    def whole(where: tuple, value: object, name: str) -> None:
        if type(value) is not int:
            found.append((where, f'"{name}" must be a whole number, not {_kind(value)}'))
        elif not 0 <= value <= MAX_TIME:
            found.append((where, f'"{name}" is out of range ({value}): a time in seconds from 0 to {MAX_TIME}'))

    def text(where: tuple, holder: dict, name: str, required: bool = True) -> None:
        if name not in holder:
            if required:
                found.append((where, f'"{name}" is missing'))
            return
        if not isinstance(holder[name], str):
            found.append((where, f'"{name.rsplit(".", 1)[-1]}" must be a string, not {_kind(holder[name])}'))

    if type(state.get("format")) is not int or state["format"] < 1:
        found.append((("format",), f'"format" must be a whole number from 1 to {LOCK_FORMAT}'))
    version = state.get("version")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        found.append((("version",), f'"version" must be a version like "1.2.0", not {json.dumps(version)[:40]}'))
    text(("slug",), state, "slug", required=False)
    text(("title",), state, "title", required=False)
    if "namespace" in state and not (isinstance(state["namespace"], str) and ids.NAMESPACE.fullmatch(state["namespace"])):
        found.append((("namespace",), '"namespace" must be ten lower-case letters and digits, as deckgen writes it, '
                      f"not {json.dumps(state['namespace'])[:40]}"))
    if "created" in state:
        whole(("created",), state["created"], "created")
    if "notetype" in state:
        notetype = state["notetype"]
        if not isinstance(notetype, dict):
            found.append((("notetype",), f'"notetype" must be an object with "hash" and "mtime", not {_kind(notetype)}'))
        else:
            for key in ("hash", "mtime"):
                if key not in notetype:
                    found.append((("notetype",), f'"notetype" has no "{key}"'))
            if "hash" in notetype:
                text(("notetype", "hash"), notetype, "hash")
            if "mtime" in notetype:
                whole(("notetype", "mtime"), notetype["mtime"], "mtime")
            text(("notetype", "schema"), notetype, "schema", required=False)
    if "removed" in state:
        found.extend(_check_removed(state["removed"]))
    notes = state.get("notes")
    if not isinstance(notes, list):
        found.append((("notes",), f'"notes" must be a list of notes, not {_kind(notes)}'
                       if notes is not None else 'the lock file is not a deckgen lock (it has no "notes")'))
        return found
    guids: dict[str, int] = {}
    for n, entry in enumerate(notes):
        if _entry_ok(entry) and entry["guid"] not in guids:  # the usual case, checked quickly
            guids[entry["guid"]] = n
            continue
        where = ("notes", n)
        label = f"the lock file's note {n + 1} is malformed"
        if not isinstance(entry, dict):
            found.append((where, f"{label}: it is {_kind(entry)}, not an object"))
            continue
        before = len(found)
        for key in ("guid", "key", "file", "question", "hash"):
            text((*where, key) if key in entry else where, entry, key)
        for key in _OPTIONAL_TEXT:
            text((*where, key), entry, key, required=False)
        if "mtime" not in entry:
            found.append(((*where,), '"mtime" is missing'))
        else:
            whole((*where, "mtime"), entry["mtime"], "mtime")
        if "added" in entry:
            whole((*where, "added"), entry["added"], "added")
        for k in range(before, len(found)):
            found[k] = (found[k][0], f"{label}: {found[k][1]}")
        guid = entry.get("guid")
        if not isinstance(guid, str):
            continue
        if not _valid_guid(guid):
            found.append(((*where, "guid"), f"{label}: the GUID {json.dumps(guid)[:80]} is not one deckgen writes"))
        elif guid in guids:
            first = guids[guid]
            found.append((
                (*where, "guid"),
                f'note {n + 1} has the GUID "{guid}" of note {first + 1} (line {{line}}); two notes cannot share '
                "one: remove the copy, or restore the lock",
                ("notes", first, "guid"),
            ))
        else:
            guids[guid] = n
    return found


def _check_removed(removed: object) -> list[tuple]:
    """What is wrong with the lock's list of notes removed from the deck (see `removed_notes`)."""
    if not isinstance(removed, list):
        return [(("removed",), f'"removed" must be a list of notes, not {_kind(removed)}')]
    found: list[tuple] = []
    for n, entry in enumerate(removed):
        where = ("removed", n)
        label = f"the lock file's removed note {n + 1} is malformed"
        if not isinstance(entry, dict):
            found.append((where, f"{label}: it is {_kind(entry)}, not an object"))
            continue
        for key in ("guid", "question", "file", "version"):
            if not isinstance(entry.get(key), str):
                problem = "is missing" if key not in entry else f"must be a string, not {_kind(entry[key])}"
                found.append(((*where, key) if key in entry else where, f'{label}: "{key}" {problem}'))
        if isinstance(entry.get("guid"), str) and not _valid_guid(entry["guid"]):
            found.append(((*where, "guid"), f"{label}: the GUID {json.dumps(entry['guid'])[:80]} is not one deckgen writes"))
    return found


_GUID = re.compile(r"[!-~]{1,64}")  # printable ASCII without spaces, as genanki and Anki write them
_OPTIONAL_TEXT = ("answer", "sketch", "deck", "pinned")


def _valid_guid(guid: str) -> bool:
    return _GUID.fullmatch(guid) is not None


def _entry_ok(entry: object) -> bool:
    """Whether a lock's note entry is as deckgen writes it (the details are for the messages)."""
    try:
        return (
            type(entry["guid"]) is str and type(entry["key"]) is str and type(entry["file"]) is str
            and type(entry["question"]) is str and type(entry["hash"]) is str
            and type(entry["mtime"]) is int and 0 <= entry["mtime"] <= MAX_TIME
            and all(type(entry[k]) is str for k in _OPTIONAL_TEXT if k in entry)
            and ("added" not in entry or (type(entry["added"]) is int and 0 <= entry["added"] <= MAX_TIME))
            and _GUID.fullmatch(entry["guid"]) is not None
        )
    except (KeyError, TypeError, IndexError):
        return False


_TEXT_KEYS = ("key", "file", "question", "answer", "deck", "pinned")  # a sketch is ASCII


def _normalise(state: dict) -> None:
    """Compose every text to NFC, as notes are read: a lock written from NFD files still matches."""
    for holder, key in _texts(state):
        holder[key] = ids.nfc(holder[key])


def _normal(state: dict) -> bool:
    """Whether every text of a lock's state is composed to NFC (see _normalise)."""
    return all(unicodedata.is_normalized("NFC", holder[key]) for holder, key in _texts(state))


def _texts(state: dict):
    """(dict, key) of each text of a lock's state that is read as NFC."""
    for key in ("slug", "title"):
        if isinstance(state.get(key), str):
            yield state, key
    for entry in state["notes"]:
        for key in _TEXT_KEYS:
            if key in entry:
                yield entry, key
    for entry in state.get("removed", ()):
        for key in ("question", "file"):
            yield entry, key


class _Problem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_WORD = re.compile(r"true|false|null")
_CONSTANT = re.compile(r"-?Infinity|NaN")


class _Lines:
    """Where each value of a JSON text starts: {path: line}, for messages (json gives no lines).

    Also finds what `json` reports without a line: nesting too deep, a key given twice in one
    object, a number too long to read.
    """

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1
        self.found: dict[tuple, int] = {}

    @classmethod
    def of(cls, text: str) -> dict[tuple, int]:
        scan = cls(text)
        try:
            scan.value((), 0)
        except (_Problem, ValueError, IndexError):
            pass
        return scan.found

    @classmethod
    def problem(cls, text: str) -> tuple[int, str] | None:
        scan = cls(text)
        try:
            scan.value((), 0)
        except _Problem as exc:
            return exc.line, exc.message
        except (ValueError, IndexError):
            return None
        return None

    def _skip(self) -> None:
        end = _SPACE.match(self.text, self.pos).end()
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def _expect(self, char: str) -> None:
        self._skip()
        if self.text[self.pos : self.pos + 1] != char:
            raise ValueError(char)
        self.pos += 1

    def value(self, path: tuple, depth: int) -> None:
        self._skip()
        self.found.setdefault(path, self.line)
        if depth > _MAX_DEPTH:
            raise _Problem(self.line, f"the lock file is nested too deeply (more than {_MAX_DEPTH} levels); "
                           "it is not a deckgen lock")
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            self.pos += 1
            keys: set[str] = set()
            self._skip()
            if self.text[self.pos : self.pos + 1] == "}":
                self.pos += 1
                return
            while True:
                self._skip()
                if self.text[self.pos : self.pos + 1] != '"':
                    raise ValueError("key")
                line = self.line
                key, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
                if key in keys:
                    raise _Problem(line, f'the lock file has the key "{key[:40]}" twice in one object')
                keys.add(key)
                self.found.setdefault((*path, key), line)
                self._expect(":")
                self.value((*path, key), depth + 1)
                self._skip()
                if self.text[self.pos : self.pos + 1] == ",":
                    self.pos += 1
                    continue
                self._expect("}")
                return
        if char == "[":
            self.pos += 1
            self._skip()
            if self.text[self.pos : self.pos + 1] == "]":
                self.pos += 1
                return
            n = 0
            while True:
                self.value((*path, n), depth + 1)
                n += 1
                self._skip()
                if self.text[self.pos : self.pos + 1] == ",":
                    self.pos += 1
                    continue
                self._expect("]")
                return
        if char == '"':
            _, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
            return
        if m := _CONSTANT.match(self.text, self.pos):
            raise _Problem(self.line, f"the lock file has {m.group()}, which is not a number JSON allows")
        m = _NUMBER.match(self.text, self.pos) or _WORD.match(self.text, self.pos)
        if m is None:
            raise ValueError("value")
        if len(m.group()) > 4000:
            raise _Problem(self.line, "the lock file has a number too long to be one deckgen writes")
        self.pos = m.end()


def changelog_text(outdir: Path) -> str:
    """The current CHANGELOG.md (a new one's heading if there is none); unreadable is an error."""
    log = outdir / CHANGELOG_NAME
    if not os.path.lexists(log):
        return "# Changelog\n\n"
    shown = display_path(log)
    try:
        data = _read_regular(log, "changelog")
    except _Problem as exc:
        raise DeckgenError(f"{shown}: error: {exc.message}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeckgenError(
            f"{shown}:{line}: error: the changelog is not UTF-8 (deckgen adds each version to it and "
            "keeps the rest as it is); save it as UTF-8 (e.g. `iconv -f CP949 -t UTF-8`)"
        ) from exc


# -- A lock rebuilt from the newest package ---------------------------------------------------


def recover(deck: DeckConfig, outdir: Path, files: list[NoteFile], css: str, problems: Problems) -> dict | None:
    """Rebuild a missing lock from the newest package of this deck in `outdir`, with a warning.

    None when there is no package: a first build. With packages that cannot be read, or a
    changelog that lists versions whose packages are gone, the build stops: starting over would
    give every note a new GUID.
    """
    lock = display_path(deck.root / LOCK_NAME)
    where = SourceLocation(lock, 0)
    pattern = re.compile(rf"{re.escape(deck.slug)}-v([0-9]{{1,9}})\.([0-9]{{1,9}})\.([0-9]{{1,9}})\.apkg")
    try:
        found = [(tuple(int(g) for g in m.groups()), p) for p in outdir.iterdir()
                 if (m := pattern.fullmatch(p.name)) and p.is_file()]
    except OSError:
        found = []
    unreadable: list[str] = []
    for version, path in sorted(found, reverse=True):
        try:
            state = _state_from(_read_package(path), ".".join(map(str, version)), deck, files, css)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, zipfile.BadZipFile,
                sqlite3.Error, RecursionError) as exc:
            unreadable.append(f"{display_path(path)} ({getattr(exc, 'strerror', None) or exc})")
            continue
        also = f" ({', '.join(unreadable)} could not be read)" if unreadable else ""
        problems.warn(
            where,
            f"no lock file: recovered the GUIDs and times of {len(state['notes'])} notes from "
            f"{display_path(path)}, the newest package{also}; commit the new {LOCK_NAME} with the notes",
        )
        return state
    if unreadable:
        raise DeckgenError(
            f"{lock}: error: no lock file, and the GUIDs cannot be recovered from the packages in "
            f"{display_path(outdir)}: {', '.join(unreadable)}; restore the lock from version control, or move "
            "the packages away to start the deck anew (every card then becomes a new note in Anki)"
        )
    try:
        log = changelog_text(outdir)
    except DeckgenError:
        log = ""
    if f"`{deck.slug}-v" in log:
        raise DeckgenError(
            f"{lock}: error: no lock file, and no package is left in {display_path(outdir)} to recover the "
            f"GUIDs from, but {display_path(outdir / CHANGELOG_NAME)} lists earlier versions of this deck; "
            "restore the lock from version control, or move the changelog away to start the deck anew "
            "(every card then becomes a new note in Anki)"
        )
    _warn_named_after_folder(deck, problems)
    return None


_NAMED_AFTER_FOLDER = "its folder's name: a deck built from another folder of that name"


def said_once(diagnostic: Diagnostic) -> bool:
    """Whether a diagnostic is one only a deck's first build gives (a rebuild does not repeat it)."""
    return diagnostic.severity == "warning" and _NAMED_AFTER_FOLDER in diagnostic.message


def _warn_named_after_folder(deck: DeckConfig, problems: Problems) -> None:
    """At a deck's first build, warn when its name is only its folder's: Anki matches decks by name."""
    if not deck.defaulted:
        return
    from deckgen.config import CONFIG_NAME

    settings = deck.root / CONFIG_NAME
    names = " and ".join(f"{name} {json.dumps(getattr(deck, name), ensure_ascii=False)}" for name in deck.defaulted)
    shared = [what for name, what in (("title", "its deck in Anki (which would hold both decks' cards)"),
                                      ("slug", "its package name")) if name in deck.defaulted]
    example = ", ".join(f'{name} = "…"' for name in deck.defaulted)
    problems.warn(
        SourceLocation(display_path(settings if settings.is_file() else deck.root), 0),
        f"this deck's {names} {'are' if len(deck.defaulted) > 1 else 'is'} {_NAMED_AFTER_FOLDER} "
        f"would share {' and '.join(shared)}; name this one in "
        f"{display_path(settings)} ({example})",
    )


def _read_package(path: Path) -> dict:
    """Read what a deckgen package holds: its notes (guid, mtime, tags, fields, deck) and notetype."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        member = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
        if member is None:
            raise ValueError("it holds no collection")
        info = archive.getinfo(member)
        if info.file_size > _MAX_COLLECTION:
            raise ValueError("its collection is too large")
        with tempfile.TemporaryDirectory(prefix="deckgen-") as folder:
            db = Path(folder) / "collection.db"
            with archive.open(info) as src, open(db, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
            try:
                models, decks = conn.execute("select models, decks from col").fetchone()
                notes = conn.execute("select id, guid, mid, mod, tags, flds from notes order by id").fetchall()
                cards = conn.execute("select nid, did from cards order by ord desc").fetchall()
            finally:
                conn.close()
    models, decks = json.loads(models), json.loads(decks)
    model_id, model = next(
        ((int(i), m) for i, m in models.items()
         if m.get("name") == NOTETYPE_NAME and [f.get("name") for f in m.get("flds", ())] == list(FIELDS)),
        (None, None),
    )
    if model is None:
        raise ValueError("it is not a deckgen package (no deckgen notetype)")
    deck_names = {int(i): d["name"] for i, d in decks.items()}
    deck_of = {nid: deck_names.get(did, "") for nid, did in cards}
    roots = [d["name"] for d in decks.values() if "built by deckgen" in str(d.get("desc", ""))]
    kept, guids = [], set()
    for nid, guid, mid, mod, tags, flds in notes:
        fields = tuple(str(flds or "").split("\x1f"))
        if mid != model_id or len(fields) != len(FIELDS) or not isinstance(guid, str) or not _valid_guid(guid):
            continue
        if guid in guids:
            continue
        guids.add(guid)
        kept.append((guid, int(mod), tuple(str(tags or "").split()), fields, deck_of.get(nid, ""), int(nid) // 1000))
    template = model["tmpls"][0]
    return {
        "notes": kept,
        "title": roots[0] if roots else None,
        "notetype": (template.get("qfmt"), template.get("afmt"), model.get("css"), int(model.get("mod", 0))),
        "schema": _schema_of(model),
    }


def _schema_of(model: dict) -> str:
    """The schema fingerprint of a notetype as a package holds it (see notetype.Schema)."""
    from deckgen.notetype import Schema, Template

    fields = tuple((f.get("id"), f.get("name", "")) for f in sorted(model.get("flds", ()), key=lambda f: f.get("ord", 0)))
    cards = tuple(Template(t.get("id"), t.get("name", ""), "", "")
                  for t in sorted(model.get("tmpls", ()), key=lambda t: t.get("ord", 0)))
    return Schema(fields, cards, int(model.get("sortf", 0))).fingerprint()


def _as_packaged(fields: tuple[str, ...], tags: tuple[str, ...], deck_name: str) -> tuple:
    """What tells a note's content in a package: its fields (the Source without its line), tags, deck."""
    return (*fields[:4], fields[4].rsplit(":", 1)[0], tags, deck_name)


def _state_from(package: dict, version: str, deck: DeckConfig, files: list[NoteFile], css: str) -> dict:
    """A lock as the build that wrote `package` would have left it, as far as the package tells."""
    from deckgen.notetype import field_values  # what a package holds of each field

    # The namespace the package's GUIDs were minted in (none if they all predate namespaces).
    spaces = Counter(ns for guid, *_ in package["notes"] if (ns := ids.namespace_of(guid)))
    namespace = min(spaces, key=lambda ns: (-spaces[ns], ns)) if spaces else None
    minted = {}  # the GUID a note gets when first seen: a note with it is that note, still
    unchanged = {}  # a note of this build as a package holds it -> its content hash
    for file, note, _, seen in _seen(files):
        key = f"pin:{seen.pinned}" if seen.pinned else seen.key
        if namespace:
            minted.setdefault(ids.new_guid(namespace, key), seen)
        minted.setdefault(ids.legacy_guid(deck.slug, key), seen)
        fields, tags, subdeck = note_fields(note, file), note_tags(deck, file, note), deck_name(deck, file)
        unchanged[_as_packaged(field_values(fields), tags, subdeck)] = content_hash(fields, tags, subdeck)
    entries = []
    for guid, mtime, tags, fields, subdeck, added in package["notes"]:
        source = html.unescape(fields[4].rsplit(":", 1)[0])
        question = field_text(fields[0])
        seen = minted.get(guid)
        packaged = _as_packaged(fields, tags, subdeck)
        entry = {
            "guid": guid,
            "key": seen.key if seen else f"{source}::{ids.fold(question)}",
            "file": source,
            "question": question,
            "sketch": ids.sketch(field_text(fields[1])[: ids.ANSWER_SKETCH]),
            # Content the package holds as this build would write it is unchanged: same hash, same mtime.
            "hash": unchanged.get(packaged) or content_hash(fields, tags, subdeck),
            "mtime": min(max(mtime, 0), MAX_TIME),
            "added": min(max(added, 0), mtime, MAX_TIME),
            "deck": subdeck,
        }
        if seen and seen.pinned:
            entry["pinned"] = seen.pinned
        entries.append(entry)
    front, back, _ = template_files()
    qfmt, afmt, old_css, nt_mtime = package["notetype"]
    same = (qfmt, afmt, old_css) == (front, back, css)
    state = {
        "format": LOCK_FORMAT,
        "slug": deck.slug,
        "title": package["title"] or deck.title,
        **({"namespace": namespace} if namespace else {}),
        "version": version,
        "created": min(max([nt_mtime, *(e["mtime"] for e in entries)]), MAX_TIME),
        "notetype": {"hash": notetype_hash(css) if same else "recovered", "mtime": min(max(nt_mtime, 0), MAX_TIME),
                     "schema": package["schema"]},
        "notes": entries,
    }
    _normalise(state)
    if _check(state):
        raise ValueError("its notes do not make a lock")
    return state


# -- This build's plan ------------------------------------------------------------------------


def note_fields(note: Note, file: NoteFile) -> tuple[str, ...]:
    source = f"{html_text(file.source.rel)}:{note.location.line}"
    chips = "".join(f'<span class="kw">{html.escape(w)}</span>' for w in note.keywords)
    return (note.question, note.answer, note.context, chips, source)


def content_hash(fields: tuple[str, ...], tags: tuple[str, ...], deck: str) -> str:
    # The Source field's line number is left out: inserting a question above must not make every
    # note below it "edited" (and rewrite its tags in Anki). It is refreshed with the next real edit.
    h = hashlib.sha256()
    for part in (*fields[:4], fields[4].rsplit(":", 1)[0], " ".join(tags), deck):
        h.update(part.encode("utf-8") + b"\x1f")
    return h.hexdigest()[:20]


def _key(file: NoteFile, note: Note) -> str:
    if note.anchor:
        return f"{file.source.rel}{'#' + note.anchor}"
    return f"{file.source.rel}::{ids.fold(note.question_text)}" if not note.parent_key else (
        f"{file.source.rel}::{ids.fold(note.parent_key)}/{ids.fold(note.question_text)}"
    )


def _seen(files: list[NoteFile]) -> list[tuple[NoteFile, Note, int, ids.Seen]]:
    """Every note of this build, with its place in its file and its identity key (a key met twice
    gets a `~2` suffix)."""
    seen_keys: dict[str, int] = {}
    found = []
    for f in files:
        for i, n in enumerate(f.notes):
            key = _key(f, n)
            count = seen_keys.get(key, 0)
            seen_keys[key] = count + 1
            if count:
                key = f"{key}~{count + 1}"
            sketch = f.prepared[i].sketch if f.prepared is not None else ""
            found.append((f, n, i, ids.Seen(key, f.source.rel, n.question_text, n.answer_text, n.pinned_id, sketch)))
    return found


def plan(state: dict | None, deck: DeckConfig, files: list[NoteFile], css: str, config: BuildConfig) -> Plan:
    """Give every note its GUID and mtime, decide the version, and list what changed."""
    now = int(config.timestamp if config.timestamp is not None else time.time())
    old_notes = state["notes"] if state else []
    known = [
        ids.Known(e["guid"], e["key"], e["file"], e["question"], "", e.get("pinned", ""), e.get("sketch", ""))
        for e in old_notes
    ]
    everything = _seen(files)
    found: list[tuple[NoteFile, Note, int]] = [(f, n, i) for f, n, i, _ in everything]
    seen: list[ids.Seen] = [s for _, _, _, s in everything]
    pairs = ids.match(known, seen)
    # New notes' GUIDs are in the deck's own namespace, kept in the lock: drawn at random when the
    # lock has none (a first build, or a lock from before namespaces). A hermetic build (a fixed
    # clock) derives it from that clock and the folder instead, so that it is reproducible.
    namespace = (state or {}).get("namespace") or ids.new_namespace(
        None if config.timestamp is None else f"{int(config.timestamp)}:{deck.root.resolve()}")

    used_guids = {k.guid for k in known}
    positions = _positions(found)
    old_root = (state or {}).get("title")
    renamed = old_root not in (None, deck.title)
    cards: list[CardNote] = []
    entries: list[dict] = []
    changes: list[Change] = [Change("renamed", deck.title, old_root)] if renamed else []  # not every card "moved"
    taken: set[str] = set()
    packaged: list[Prepared] = []
    names: dict[int, str] = {}
    tag_sets: dict[tuple[int, tuple[str, ...]], tuple[str, ...]] = {}
    for s, ((file, note, place), info) in enumerate(zip(found, seen, strict=True)):
        subdeck = names.get(id(file))
        if subdeck is None:
            subdeck = names[id(file)] = deck_name(deck, file)
        tags = tag_sets.get((id(file), note.tags))
        if tags is None:  # most notes of a file have the same tags: one tuple for them all
            tags = tag_sets[(id(file), note.tags)] = note_tags(deck, file, note)
        ready = file.prepared[place] if file.prepared is not None else None
        if ready is not None and file.prepared_for == (subdeck, deck.tags):
            fields, digest = ready.fields, ready.digest
        else:  # prepared for another deck name or deck tags, or not at all
            fields = ready.fields if ready is not None else note_fields(note, file)
            digest = content_hash(fields, tags, subdeck)
        if ready is not None:
            packaged.append(ready)
        else:
            from deckgen.package import packaged_fields

            values, findings = packaged_fields(fields)
            packaged.append(Prepared(fields, values, findings, digest, info.sketch))
        old = old_notes[pairs[s]] if s in pairs else None
        if old is not None:
            guid = old["guid"]
            mtime = old["mtime"] if old["hash"] == digest else min(max(now, old["mtime"] + 1), MAX_TIME)
            added = old.get("added", old["mtime"])  # a lock from before creation dates: its first known time
            if ids.fold(old["question"]) != ids.fold(note.question_text):
                changes.append(Change("re-identified", note.question_text, old["question"]))
            elif old["hash"] != digest:
                changes.append(Change("edited", note.question_text, f"{file.source.rel}"))
            if old.get("deck") and old["deck"] != subdeck and not (
                    renamed and old["deck"] == old_root + subdeck[len(deck.title):]):
                changes.append(Change("moved", note.question_text, f'{old["deck"]} → {subdeck}'))
        else:
            guid = ids.new_guid(namespace, f"pin:{note.pinned_id}" if note.pinned_id else info.key)
            n = 2
            while guid in used_guids or guid in taken:
                guid = ids.new_guid(namespace, f"{info.key}~{n}")
                n += 1
            mtime = added = min(now, MAX_TIME)
            changes.append(Change("added", note.question_text, file.source.rel))
        taken.add(guid)
        cards.append(CardNote(guid, fields, tags, subdeck, mtime, note, added, positions[s]))
        entries.append(
            {
                "guid": guid,
                "key": info.key,
                "file": file.source.rel,
                "question": note.question_text,
                "sketch": info.sketch or ids.sketch(info.answer),
                "hash": digest,
                "mtime": mtime,
                "added": added,
                "deck": subdeck,
                **({"pinned": note.pinned_id} if note.pinned_id else {}),
            }
        )
    matched_old = set(pairs.values())
    for i, e in enumerate(old_notes):
        if i not in matched_old:
            changes.append(Change("removed", e["question"], e["file"]))

    nt_hash = notetype_hash(css)
    old_nt = (state or {}).get("notetype", {})
    nt_changed = old_nt.get("hash") != nt_hash
    nt_mtime = min(notetype_mtime(nt_hash, old_nt.get("hash"), old_nt.get("mtime", 0)), MAX_TIME)
    # Locks from before the schema was recorded were all written with this one schema.
    schema = notetype.SCHEMA.fingerprint()
    schema_changed = state is not None and old_nt.get("schema", schema) != schema
    if schema_changed and not config.migrate_notetype:
        raise DeckgenError(
            f'error: the notetype "{NOTETYPE_NAME}" of this deckgen has other fields or card types than the '
            f"one this deck was built with (version {state['version']}, see {LOCK_NAME}); imported as usual, "
            "Anki would leave every note it holds unchanged for good and add an unused copy of the notetype\n"
            "note: to migrate, build once with --migrate-notetype: it makes a major version, and says how to "
            'import it (once with "Merge note types" on)'
        )

    kinds = {c.kind for c in changes}
    if state is None:
        version = config.version or "1.0.0"
    elif config.version:
        version = config.version
    else:
        version = _bump(state["version"], kinds, nt_changed, renamed or schema_changed)
    up_to_date = state is not None and not kinds and not nt_changed and version == state["version"]
    if state is not None and _vkey(version) < _vkey(state["version"]):
        raise DeckgenError(f"error: version {version} is older than the current {state['version']}")
    if state is not None and version == state["version"] and not up_to_date:
        # Even with its file gone from dist/, a released version never gets other content.
        raise DeckgenError(
            f"error: version {version} was already released with other content; "
            "set a newer one (--version or deckgen.toml), or none to get the next one"
        )
    created = state["created"] if up_to_date and "created" in state else now
    n_sub = sum(1 for c in cards if c.note.parent_key)
    stamp = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d")
    description = (
        f"<b>{html_text(deck.title)}</b> — version {version} ({stamp}) · "
        f"{len(cards)} notes ({n_sub} sub-questions) · built by deckgen"
    )
    removed = _removed(state, [e for i, e in enumerate(old_notes) if i not in matched_old], taken, version)
    new_state = {
        "format": LOCK_FORMAT,
        "slug": deck.slug,
        "title": deck.title,
        "namespace": namespace,
        "version": version,
        "created": created,
        "notetype": {"hash": nt_hash, "mtime": nt_mtime, "schema": schema},
        "notes": entries,
        **({"removed": removed} if removed else {}),
    }
    return Plan(
        version=version,
        cards=tuple(cards),
        changes=tuple(changes),
        notetype_mtime=nt_mtime,
        description=description,
        up_to_date=up_to_date,
        notetype_changed=nt_changed,
        state=new_state,
        schema_changed=schema_changed,
        steps=MIGRATION_STEPS if schema_changed else (),
        packaged=tuple(packaged),
    )


RENAME_ADVICE = (
    "the title in deckgen.toml; rename the deck in Anki too, before importing this version (Anki finds "
    'decks by name: the cards you have would stay in "{old}")'
)

MIGRATION_STEPS = (
    'This version changes the notetype\'s fields or card types. Import it once with "Merge note types" '
    "checked in Anki's import dialog (desktop: File › Import; the option is under Note types), so that the "
    "notes you have are updated instead of left as they are; Anki then asks for a one-way sync to AnkiWeb "
    "(upload from this computer).",
    'Then uncheck "Merge note types" again: Anki keeps the options of the last import, and later versions '
    "import as usual.",
    "AnkiDroid: make the import above on the desktop and sync; importing the package on the phone offers the "
    "same option.",
)


def _positions(found: list[tuple[NoteFile, Note, int]]) -> list[int]:
    """Each note's new-card position: the files in their order, each file's questions first, then
    its sub-questions (which Anki would otherwise show straight after their question)."""
    by_file: dict[int, list[int]] = {}
    for i, (file, *_) in enumerate(found):
        by_file.setdefault(id(file), []).append(i)
    positions = [0] * len(found)
    n = 0
    for members in by_file.values():
        for i in sorted(members, key=lambda i: (bool(found[i][1].parent_key), i)):
            positions[i] = n
            n += 1
    return positions


def _removed(state: dict | None, gone: list[dict], live: set[str], version: str) -> list[dict]:
    """The notes this deck has removed, oldest first: what the lock listed, and what this build removes.

    Anki never deletes a note on import; this list, kept in the lock, is what `deckgen push --prune`
    may delete, and only that. A GUID back in the deck (a question restored) leaves the list.
    """
    kept = [e for e in (state or {}).get("removed", ()) if e["guid"] not in live]
    listed = {e["guid"] for e in kept}
    kept += [{"guid": e["guid"], "question": e["question"], "file": e["file"], "version": version}
             for e in gone if e["guid"] not in live and e["guid"] not in listed]
    return kept


def removed_notes(state: dict) -> tuple[dict, ...]:
    """The notes a lock lists as removed from its deck: {"guid", "question", "file", "version"}."""
    return tuple(state.get("removed", ()))


def note_tags(deck: DeckConfig, file: NoteFile, note: Note) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*file.tags, *note.tags, *deck.tags)))


def deck_name(deck: DeckConfig, file: NoteFile) -> str:
    override = dict(deck.files).get(file.source.rel, {}).get("deck")
    sub = (override or file.title).replace("::", ":")
    return f"{deck.title}::{sub}"


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _bump(version: str, kinds: set[str], notetype_changed: bool, renamed: bool) -> str:
    major, minor, patch = _vkey(version)
    if renamed:
        return f"{major + 1}.0.0"
    if kinds & {"added", "removed", "moved"}:
        return f"{major}.{minor + 1}.0"
    if kinds or notetype_changed:
        return f"{major}.{minor}.{patch + 1}"
    return version


def changelog_entry(plan: Plan, package: Path) -> str:
    """Describe this version's changes for CHANGELOG.md."""
    return "".join(changelog_lines(plan, package))


def changelog_lines(plan: Plan, package: Path) -> Iterator[str]:
    """The lines of changelog_entry, each with its line end, made as they are asked for (a first
    build lists every note)."""
    date = datetime.fromtimestamp(plan.state["created"], UTC).strftime("%Y-%m-%d")
    lines = [f"## {plan.version} — {date}", "", f"Package: `{package.name}`", ""]
    labels = {
        "added": "Added",
        "edited": "Edited",
        "re-identified": "Re-identified (kept its review history)",
        "moved": "Moved to another deck (Anki keeps its cards where they are: move them by hand)",
        "removed": "Removed (Anki keeps these notes: delete them by hand if you wish)",
        "renamed": "Deck renamed",
    }
    if plan.schema_changed:
        lines += ['### The notetype changed: import this version once with "Merge note types" on', "",
                  *(f"{n}. {markdown_text(step)}" for n, step in enumerate(plan.steps, 1)), ""]
    yield from (line + "\n" for line in lines)
    for kind, label in labels.items():
        items = [c for c in plan.changes if c.kind == kind]
        if not items:
            continue
        yield f"### {label}\n"
        for c in items:
            question, detail = markdown_text(c.question), markdown_text(c.detail)
            if kind == "re-identified":
                yield f"- {detail} → {question}\n"
            elif kind == "renamed":
                yield f'- "{detail}" → "{question}": {RENAME_ADVICE.format(old=detail)}\n'
            elif kind in ("removed", "added", "edited"):
                yield f"- {question} ({detail})\n"
            else:
                yield f"- {question}: {detail}\n"
        yield "\n"
    if not plan.changes:
        why = ("The notetype's fields or card types changed" if plan.schema_changed
               else "Templates or styling changed" if plan.notetype_changed else "Version set by hand")
        yield f"{why}; no note changed.\n\n"


def write_lock(staged: Staged, root: Path, plan: Plan) -> None:
    """Stage the new lock: the commit record, so it is replaced after the package and changelog."""
    global _written
    if not _keeping:
        staged.write_lines(root / LOCK_NAME, lock_lines(plan.state), record=True)
        return
    text = lock_text(plan.state)
    staged.write_text(root / LOCK_NAME, text, record=True)
    # Read back, the lock gives this state: every text as reading it composes it (a title in deckgen.toml
    # may not be), and the rest as written.
    _written = (text.encode("utf-8"), plan.state) if _normal(plan.state) else None


def lock_text(state: dict) -> str:
    """The lock's text in format 2: its settings, each file's deck, then one line for each note."""
    return "".join(lock_lines(state))


def lock_lines(state: dict):
    """The lock's text in format 2, line by line (see lock_text)."""
    notes = state["notes"]
    decks: dict[str, str] = {}
    for e in notes:
        if "deck" in e:
            decks.setdefault(e["file"], e["deck"])
    head = []
    for k, v in state.items():
        if k == "notes":
            continue
        if isinstance(v, list) and v:  # e.g. the notes removed from the deck: one line each
            head.append(f" {_dumps(k)}: [\n" + ",\n".join(f"  {_dumps(item)}" for item in v) + "\n ]")
        else:
            head.append(f" {_dumps(k)}: {_dumps(v)}")
    head.append(' "decks": {' + ("\n" + ",\n".join(f"  {_dumps(f)}: {_dumps(d)}" for f, d in decks.items())
                                   + "\n }" if decks else "}"))
    head.append(f' "columns": {_dumps(list(COLUMNS))}')
    yield "{\n" + ",\n".join(head) + ",\n"
    if not notes:
        yield ' "notes": []\n}\n'
        return
    yield ' "notes": [\n'
    last = len(notes) - 1
    above: dict[str, str] = {}  # each file's last key that is not a sub-question's
    before = _note_lines
    made: dict[tuple, str] | None = {} if _keeping else None
    for n, e in enumerate(notes):
        file, key = e["file"], e.get("key")
        parent, deck = above.get(file), decks.get(file)
        if made is None:
            text = _note_line(e, parent, deck)
        else:  # the line it had in the last lock written, if it was written from the same
            seen = (*e.items(), parent, deck)
            text = made[seen] = before.get(seen) or _note_line(e, parent, deck)
        if _may_be_parent(key, file):
            above[file] = key
        yield f"  {text}\n ]\n}}\n" if n == last else f"  {text},\n"
    if made is not None:
        _keep_note_lines(made)


_note_lines: dict[tuple, str] = {}
"""In a process that keeps the locks it writes (see keep_written), each note's line in the last
one, by its entry, the key above it in its file and its file's deck."""


def _keep_note_lines(made: dict[tuple, str]) -> None:
    global _note_lines
    _note_lines = made


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_quote = json.encoder.encode_basestring  # a string as JSON (as _dumps writes it, without escaping non-ASCII)
_SIMPLE = (str, str, str, str, int, int, str)


def _note_line(e: dict, parent: str | None, deck: str | None) -> str:
    """A note's row in the lock, without what follows it: `parent` is the key of the last question
    above it in its file that is no sub-question, `deck` its file's deck."""
    row = [e.get(c) for c in COLUMNS]
    more = {k: v for k, v in e.items() if k not in COLUMNS}
    file, key = e["file"], more.get("key")
    if key == default_key(file, e["question"]):
        del more["key"]
    elif parent is not None and key == f"{parent}/{ids.fold(e['question'])}":
        more["key"] = SUB_KEY
    if "deck" in more and more["deck"] == deck:
        del more["deck"]
    elif "deck" not in more and deck is not None:
        more["deck"] = ""  # no deck of its own, though its file has one
    if all(type(v) is t for v, t in zip(row, _SIMPLE, strict=True)):  # as the plan writes them: quickly
        text = (f"[{_quote(row[0])}, {_quote(row[1])}, {_quote(row[2])}, {_quote(row[3])}, {row[4]}, {row[5]}, "
                f"{_quote(row[6])}")
        return f"{text}, {_dumps(more)}]" if more else f"{text}]"
    return _dumps([*row, more] if more else row)


def append_changelog(staged: Staged, plan: Plan, outdir: Path, package: Path, previous: str | None = None) -> None:
    """Stage CHANGELOG.md with this version's entry on top (`previous`: its text, read beforehand)."""
    if previous is None:
        previous = changelog_text(outdir)
    head, _, rest = previous.partition("\n\n")
    staged.write_lines(outdir / CHANGELOG_NAME, chain((head, "\n\n"), changelog_lines(plan, package), (rest.lstrip("\n"),)))
