"""Reuse the parse of note files that did not change since the last build.

Parsing is most of a build's cost; a file whose bytes, settings and deckgen code are all as
before parses to the same notes, warnings and images, so those are kept on disk and replayed.
The cache is an optimisation only: anything unreadable or stale is simply parsed again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from deckgen import inputs
from deckgen.inputs import code_fingerprint, stamp
from deckgen.inputs import unchanged as _unchanged
from deckgen.model import BuildReport, Diagnostic, NoteFile, SourceFile


@dataclass(frozen=True, slots=True)
class Entry:
    """One file's parse: its notes, the problems it reported and the images it uses."""

    file: NoteFile
    diagnostics: tuple[Diagnostic, ...]
    media: tuple[tuple, ...]
    """(packaged name, path, *stamp) of each image the notes reference (see inputs.stamp)."""


def cache_dir() -> Path:
    """Return deckgen's cache folder ($DECKGEN_CACHE, else the XDG cache)."""
    return Path(inputs.cache_dir())


_MEMORY_MOST = 4096  # parses kept in memory by a long-running process (older ones are dropped first)


class ParseCache:
    """Parsed note files on disk, keyed by everything their parse depends on."""

    memory: dict[str, Entry] | None = None
    """Parses kept in memory too, by a process that builds again and again (`deckgen watch`):
    set by keep_in_memory(); None in a one-off build, which reads each parse from disk once."""

    def __init__(self) -> None:
        self.folder = cache_dir() / "parse"

    @classmethod
    def keep_in_memory(cls) -> None:
        """Keep every parse in memory as well, for the rest of this process."""
        if cls.memory is None:
            cls.memory = {}

    def _remember(self, key: str, entry: Entry) -> None:
        if self.memory is None:
            return
        self.memory.pop(key, None)
        self.memory[key] = entry
        while len(self.memory) > _MEMORY_MOST:
            del self.memory[next(iter(self.memory))]

    def key(self, source: SourceFile, *settings: object) -> str:
        """Return the key of one file's parse under the given settings."""
        h = hashlib.sha256()
        for part in (code_fingerprint(), source.rel, source.display, str(source.path), *map(repr, settings)):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(source.text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def holds(self, key: str) -> bool:
        """Tell whether a parse is stored under `key` (whether it can be used is for `get` to say)."""
        return (self.memory is not None and key in self.memory) or os.path.exists(self.folder / f"{key}.pickle")

    def get(self, key: str, source: SourceFile) -> Entry | None:
        """Return the stored parse of `source` if it is there and its images are unchanged."""
        entry = self.memory.get(key) if self.memory is not None else None
        if entry is None:
            entry = _load(self.folder / f"{key}.pickle", Entry)
        if entry is None or entry.file.source.path != source.path:
            return None
        # The images it uses, and the other note files it looked at to name linked questions.
        stamps = [(path, *seen) for _n, path, *seen in entry.media] + list(entry.file.depends)
        if not _unchanged(stamps):
            return None
        self._remember(key, entry)
        return replace(entry, file=replace(entry.file, source=source))  # its text is not stored: it is in the key

    def store(self, key: str, file: NoteFile, diagnostics: tuple[Diagnostic, ...], media: dict[str, Path]) -> None:
        """Store a parse on disk, where it was parsed (a worker process, often); a cache that
        cannot be written is silently skipped. The build's own process then `remember`s it.

        Pickling a text keeps its UTF-8 form beside it for as long as the text lives: pickled
        where it was parsed, and sent from there anyway, a build's notes do not take twice
        their room in the build's process."""
        _store(self.folder / f"{key}.pickle", _entry(file, diagnostics, media), later=True)

    def remember(self, key: str, file: NoteFile, diagnostics: tuple[Diagnostic, ...], media: dict[str, Path]) -> None:
        """Keep a stored parse in memory too, in a process that keeps them (see keep_in_memory)."""
        if self.memory is not None:
            self._remember(key, _entry(file, diagnostics, media))


def _entry(file: NoteFile, diagnostics: tuple[Diagnostic, ...], media: dict[str, Path]) -> Entry:
    """A parse as the cache keeps it: without the file's text (it is in the key), with the
    images its notes use."""
    used = []
    for name, path in media.items():
        if any(f'src="{name}"' in note.answer or f'src="{name}"' in note.question for note in file.notes):
            used.append((name, str(path), *stamp(path)))
    return Entry(replace(file, source=replace(file.source, text="")), diagnostics, tuple(used))


@dataclass(frozen=True, slots=True)
class Highlighted:
    """The code blocks one note file's last parse highlighted."""

    made_by: str
    """deckgen's code fingerprint and Pygments' version: any other highlights anew."""
    blocks: dict[tuple[str, str], str]
    """(language, code) -> the block's HTML (see markdown.highlighted_before)."""


class CodeMemo:
    """The highlighted code blocks of one note file, kept from one parse of it to the next.

    An edit makes the file parse again, in a new process, where each language's lexer would be
    built again for blocks that did not change. Kept among the parses: forgetting those
    (removing parse/) forgets these too."""

    def __init__(self, path: Path) -> None:
        name = hashlib.sha256(str(path).encode("utf-8", "surrogatepass")).hexdigest()
        self.path = cache_dir() / "parse" / f"code-{name}.pickle"

    def get(self) -> dict[tuple[str, str], str]:
        """Return the blocks kept, or none if they were made by other code or another Pygments."""
        memo = _load(self.path, Highlighted)
        if memo is None or memo.made_by != _made_by() or not isinstance(memo.blocks, dict):
            return {}
        return memo.blocks

    def put(self, blocks: dict[tuple[str, str], str]) -> None:
        """Keep the blocks of this parse; skipped silently if the cache cannot be written."""
        _store(self.path, Highlighted(_made_by(), blocks), later=True)


def _made_by() -> str:
    import pygments  # the package alone: its lexers are what a memo spares

    return f"{code_fingerprint()}\0{pygments.__version__}"


@dataclass(frozen=True, slots=True)
class Record:
    """What the last successful build of these sources wrote, and from what."""

    fingerprint: str
    report: BuildReport
    media: tuple[tuple, ...]
    """(path, *stamp) of every image the package holds and every other note file its cards name
    (see inputs.stamp)."""


class BuildRecords:
    """Lets a rebuild with nothing changed stop before it parses or imports anything heavy."""

    def __init__(self, root: Path, outdir: Path):
        where = f"{root.resolve()}\0{outdir.resolve()}".encode("utf-8", "surrogatepass")
        self.path = cache_dir() / "builds" / f"{hashlib.sha256(where).hexdigest()[:32]}.pickle"

    @staticmethod
    def fingerprint(root: Path, sources: tuple[Path, ...], options: tuple, templates: Path) -> str:
        """Hash every input of a build: notes, settings, lock, indexes, templates and code."""
        return inputs.fingerprint(root, sources, repr(options), templates)

    def get(self, fingerprint: str) -> Record | None:
        """Return the last build's record if its inputs and outputs are all as they were."""
        record = _load(self.path, Record)
        if record is None or record.fingerprint != fingerprint or not os.path.isfile(record.report.package):
            return None
        return record if _unchanged(record.media) else None

    def put(self, record: Record) -> None:
        """Remember a successful build; skipped silently if the cache cannot be written."""
        _store(self.path, record)


def _load(path: Path, kind: type):
    """Read a cached object of the given kind; anything missing, truncated or foreign is a miss."""
    try:
        with open(path, "rb") as f:
            value = pickle.load(f)
    except Exception:  # noqa: BLE001 (a cache can hold anything; a bad one is only a miss)
        return None
    return value if isinstance(value, kind) else None


_later: list[tuple[Path, object]] | None = None
"""The parses and code blocks to store once the build is answered (see store_later), in order."""


def store_later() -> None:
    """For `deckgen server`: store parses and code blocks once the build that made them is
    answered (write_stored), not during it; the process keeps them in memory meanwhile (see
    ParseCache.keep_in_memory), and other processes find them on disk a moment later."""
    global _later
    if _later is None:
        _later = []


def store_at_once() -> None:
    """Store as a build goes (a parse worker forked from a process that stores later)."""
    global _later
    _later = None


def write_stored() -> None:
    """Write what was left to store (see store_later)."""
    while _later:
        path, value = _later.pop(0)
        _write(path, value)


def _store(path: Path, value: object, later: bool = False) -> None:
    """Write a cached object atomically; a cache that cannot be written is skipped. `later`: once
    the build is answered, in a process that stores so (see store_later)."""
    if later and _later is not None:
        _later.append((path, value))
        return
    _write(path, value)


def _write(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        pass
