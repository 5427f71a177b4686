"""Typed data that crosses stage boundaries. No logic lives here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple


def _by_fields(self):  # pickled as a call with the field values: reading a cached parse back is twice as fast
    return (type(self), tuple(getattr(self, name) for name in self.__slots__))


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a note file, as the user sees it."""

    path: str
    """The file as the user named it (relative to where deckgen runs)."""
    line: int
    """1-based line number; 0 means the whole file."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    __reduce__ = _by_fields


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One warning or error about the user's input."""

    severity: Literal["error", "warning"]
    message: str
    location: SourceLocation | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"

    __reduce__ = _by_fields


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One decoded note file."""

    path: Path
    """Absolute path on disk."""
    rel: str
    """Path relative to the sources root, POSIX style: the file's identity."""
    display: str
    """Path as shown in messages and in the Source field."""
    text: str


@dataclass(frozen=True, slots=True)
class Note:
    """One question a reader sees, with its answer, ready to become an Anki note."""

    question: str
    """Question as inline HTML (math kept as \\(...\\))."""
    question_text: str
    """Question as plain text, for identity and matching."""
    answer: str
    """Answer as sanitised HTML."""
    answer_text: str
    """The start of the answer as plain text, for matching across rebuilds."""
    context: str
    """Parent question as inline HTML for a sub-question, else ''."""
    keywords: tuple[str, ...]
    location: SourceLocation
    anchor: str = ""
    """The heading anchor the question links to, where the shape has one."""
    parent_key: str = ""
    """Identity key of the parent question for a sub-question, else ''."""
    pinned_id: str = ""
    """An id the user wrote in the markdown (`<!-- id: x -->`), else ''."""
    tags: tuple[str, ...] = ()
    """Tags of this note alone (e.g. from the section headings it stands under)."""

    __reduce__ = _by_fields


class Prepared(NamedTuple):
    """What the lock and the package need of one note, found with its parse."""

    fields: tuple[str, ...]
    """The note's fields as deckgen fills them (Question, Answer, Context, Keywords, Source)."""
    values: tuple[str, ...]
    """The same fields as the package holds them."""
    findings: tuple[str, ...]
    """What genanki would warn about in those values."""
    digest: str
    """The note's content hash (see lock.content_hash), with the file's deck name and tags."""
    sketch: str
    """Its answer's sketch, as the lock keeps it (see ids.sketch)."""


@dataclass(frozen=True, slots=True)
class NoteFile:
    """What one note file yields: its subdeck, tags and notes."""

    source: SourceFile
    title: str
    tags: tuple[str, ...]
    notes: tuple[Note, ...]
    skipped: int
    diagnostics: tuple[Diagnostic, ...]
    order: tuple[int, str] = (0, "")
    """Sort key of the subdeck among its siblings."""
    shape: str = ""
    """The shape its questions were found in (see shapes/)."""
    depends: tuple[tuple, ...] = ()
    """(path, *stamp) of other note files whose content the parse used (cross-links; see inputs.stamp)."""
    passed: tuple[tuple[int, str, str], ...] = ()
    """(line, text, why) of each heading, bold line or summary that could have been a question
    and is not one, for `deckgen check -v`."""
    chars: frozenset[str] | None = None
    """Every character a reader sees on this file's cards, found once with the parse (and cached
    with it) for the deck's font subsets; None until then."""
    prepared: tuple[Prepared, ...] | None = None
    """What the lock and the package need of each note, found once with the parse (and cached
    with it); None until then."""
    prepared_for: tuple[str, tuple[str, ...]] = ("", ())
    """The deck name and the deck's own tags its content hashes were found with: another deck
    name or other deck tags give other hashes (the plan then finds them again)."""


@dataclass(frozen=True, slots=True)
class DeckConfig:
    """Deck-level settings: deckgen.toml merged with command-line options."""

    root: Path
    """The sources root: where deckgen.toml and deckgen.lock live."""
    title: str
    slug: str
    tags: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    files: tuple[tuple[str, dict[str, str]], ...] = ()
    """Per-file settings: (relative path, {"deck": ..., "shape": ...})."""
    version: str = "semver"
    """Version policy: "semver" (bumped from what changed) or a pinned "MAJOR.MINOR.PATCH"."""
    font: str = "bundled"
    """Card font: "bundled" (the deck ships the font subsets its cards use) or "system" (it ships none)."""
    media_root: str | None = None
    """Where `/absolute` image paths resolve, relative to the sources root (None: the repository)."""
    defaulted: tuple[str, ...] = ()
    """The names that fell back to the folder's name, of "title" and "slug" (none set it)."""


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """Everything one build needs, from the command line."""

    sources: tuple[Path, ...]
    outdir: Path
    deck_name: str | None = None
    version: str | None = None
    strict: bool = False
    timestamp: float | None = None
    """Fixed clock for hermetic builds (tests); None means now."""
    migrate_notetype: bool = False
    """Allow a notetype whose fields or card types differ from the ones the lock records."""


@dataclass(frozen=True, slots=True)
class CardNote:
    """A note with everything Anki needs: fields, GUID, tags, deck and mtime."""

    guid: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck: str
    mtime: int
    note: Note
    added: int = 0
    """When the note was first built (seconds): its note and card ids, Anki's "added" date."""
    position: int = 0
    """Its new card's place in the deck: the files' order, each file's questions before its sub-questions."""


@dataclass(frozen=True, slots=True)
class Change:
    """One line of the change report."""

    kind: Literal["added", "edited", "re-identified", "removed", "moved", "renamed"]
    question: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the CLI to print."""

    package: Path | None
    version: str
    notes: int
    subquestions: int
    skipped: int
    files: int
    diagnostics: tuple[Diagnostic, ...]
    changes: tuple[Change, ...] = ()
    up_to_date: bool = False
    steps: tuple[str, ...] = ()
    """What the user has to do in Anki for this version (a renamed deck, a migrated notetype)."""
    lock: Path | None = None
    """The lock file of these notes."""
    lock_state: Literal["new", "updated", "unchanged", ""] = ""
    """What this build did to it: wrote a first one, rewrote it, or left it as it was."""


@dataclass(frozen=True, slots=True)
class Unchanged:
    """What tells, before anything is read, that a rebuild would change nothing (see uptodate.py)."""

    sources: tuple[str, ...]
    """The notes as the build's settings name them."""
    root: str
    """The folder that owns the build (sources.sources_root)."""
    outdir: str
    """The output folder, as given."""
    options: str
    templates: str
    fingerprint: str
    """What the last build's record took its fingerprint over (see inputs.fingerprint), and the fingerprint."""
    record: tuple
    """(path, *stamp) of that record, stamped before it was read."""
    package: str
    """The package the record names, which must still be there."""
    media: tuple[tuple, ...]
    """(path, *stamp) of the other files the record checks: the images and the linked note files."""
