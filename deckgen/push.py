"""Push: a built package into the user's Anki collection, as File › Import does it -> PushReport.

The collection is opened with Anki's own backend (the `anki` package: the code Anki desktop runs),
backed up into the profile's backups/ folder as Anki backs it up, and the package imported by the
backend's importer with Anki's default options, so every guarantee the package gives on File ›
Import holds. Anki desktop holds its collection while it runs (the backend opens it exclusively):
then the package goes through the AnkiConnect add-on, or not at all. Only notes the deck's lock
lists as removed, GUIDs this deck minted, are ever deleted (`--prune`), and only when confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from deckgen import ankiconnect
from deckgen import lock as deck_lock
from deckgen.atomic import InterruptGuard
from deckgen.errors import DeckgenError, count
from deckgen.model import Diagnostic
from deckgen.notetype import FIELDS, NOTETYPE_ID, NOTETYPE_NAME, SCHEMA
from deckgen.profiles import Target, find_target
from deckgen.sources import sources_root
from deckgen.textsafe import field_text

MIN_ANKI = (23, 10)
"""The first `anki` whose importer takes the update conditions File › Import offers."""
INSTALL_HINT = "pip install 'deckgen[push]'"
# Anki keeps the options of the last import as the next File › Import's defaults; a push puts
# back what the user had chosen.
_PRESET_KEYS = ("mergeNotetypes", "updateNotes", "updateNotetypes", "withScheduling", "withDeckConfigs")
_MISSING = object()
_CHUNK = 500  # GUIDs per query (SQLite allows some hundreds of parameters everywhere)


@dataclass(frozen=True, slots=True)
class ImportLog:
    """What Anki's importer says it did with each note of the package (by question text)."""

    found: int
    new: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    """Anki's "duplicate": the note is there already and the package's copy is not newer."""
    conflicting: tuple[str, ...]
    """The GUID is a note of another notetype: Anki leaves that note as it is."""
    skipped: tuple[tuple[str, str], ...] = ()
    """(why, question) of notes Anki did not import for another reason."""


@dataclass(frozen=True, slots=True)
class RemovedNote:
    """A note of the collection that this deck's lock lists as removed from the notes."""

    note_id: int
    question: str
    file: str
    version: str
    """The version whose build removed it."""
    reviews: int
    """Reviews in its cards' history, lost if it is deleted."""


@dataclass(frozen=True, slots=True)
class PushReport:
    """What a push did, for the CLI to print."""

    target: Target
    package: Path
    via: Literal["backend", "AnkiConnect"]
    log: ImportLog | None
    """None through AnkiConnect, which reports nothing of what Anki did."""
    backup: Path | None = None
    backup_made: bool = False
    """False when Anki found its newest backup (`backup`) up to date and made none."""
    pruned: tuple[RemovedNote, ...] = ()
    kept: tuple[RemovedNote, ...] = ()
    """Removed notes found in the collection and not deleted (not confirmed, or no --prune)."""
    prune: bool = False
    """Whether --prune was asked for."""
    declined: bool = False
    """Whether --prune asked and was not allowed to delete them."""
    removed_listed: int = 0
    """How many notes the lock lists as removed."""
    diagnostics: tuple[Diagnostic, ...] = ()


def require_anki() -> None:
    """Fail with a one-line hint unless Anki's backend (the `anki` package) can be used."""
    try:
        from anki.buildinfo import version
    except ImportError as exc:
        raise DeckgenError(f"error: deckgen push needs Anki's backend, the anki package: {INSTALL_HINT}") from exc
    parts = tuple(int(p) for p in re.findall(r"[0-9]+", version)[:2])
    try:  # the importer's options as File › Import offers them
        from anki.collection import Collection  # noqa: F401
        from anki.import_export_pb2 import ImportAnkiPackageOptions
        usable = "update_notes" in ImportAnkiPackageOptions.DESCRIPTOR.fields_by_name
    except ImportError:
        usable = False
    if not usable or parts < MIN_ANKI:
        raise DeckgenError(f"error: deckgen push needs anki {'.'.join(map(str, MIN_ANKI))} or newer, "
                           f"not {version}: {INSTALL_HINT} --upgrade")


def prepare(profile: str | None, collection: Path | None) -> Target:
    """Check that a push can run at all and find its collection: before anything is built."""
    require_anki()
    return find_target(profile, collection)


def push(package: Path, sources: tuple[Path, ...], target: Target, prune: bool,
         confirm: Callable[[tuple[RemovedNote, ...]], bool]) -> PushReport:
    """Import a built package into the target collection; with `prune`, delete what `confirm` allows."""
    package = package.absolute()
    state = deck_lock.load(sources_root(sources))
    removed = deck_lock.removed_notes(state) if state else ()
    col = _open(target)
    if col is None:
        return _through_ankiconnect(package, target, prune, removed)
    guard = InterruptGuard()
    try:
        _check_schema(col, target)
        found = _find_removed(col, removed)
        approved = prune and bool(found) and confirm(found)
        guard.hold()  # from here the push is finished, then closed, whatever comes
        backup, made = _backup(col, target)
        log = _import(col, package, backup)
        if approved:
            _delete(col, found, backup)
    finally:
        col.close()
        interrupted = guard.release()
    notes = (Diagnostic("warning", "interrupted during the push; it was finished first"),) if interrupted else ()
    return PushReport(target=target, package=package, via="backend", log=log, backup=backup, backup_made=made,
                      pruned=found if approved else (), kept=() if approved else found,
                      prune=prune, declined=prune and bool(found) and not approved, removed_listed=len(removed),
                      diagnostics=notes)


def _open(target: Target):
    """Open the collection with Anki's backend; None when Anki holds it.

    The backend opens a collection exclusively: while Anki (or any program using the backend) has
    it open, opening it again fails at once, and nothing is written.
    """
    from anki.collection import Collection
    from anki.errors import AnkiException, DBError

    try:
        return Collection(str(target.collection))
    except DBError as exc:
        if "already open" in str(exc):  # the backend's words for a collection locked by another
            return None
        raise DeckgenError(f"{target.collection}: error: Anki's backend cannot open the collection: {exc}") from exc
    except AnkiException as exc:
        raise DeckgenError(f"{target.collection}: error: Anki's backend cannot open the collection: {exc}") from exc


def _backup(col, target: Target) -> tuple[Path | None, bool]:
    """Back the collection up as Anki does, into the profile's backups/ folder (rotated as Anki does)."""
    from anki.errors import AnkiException

    folder = target.backups
    try:
        folder.mkdir(parents=True, exist_ok=True)
        before = set(folder.glob("*.colpkg"))
        made = col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
        after = set(folder.glob("*.colpkg"))
    except (AnkiException, OSError) as exc:
        raise DeckgenError(f"{folder}: error: cannot back the collection up ({exc}); nothing was imported") from exc
    fresh = after - before if made else after
    newest = max(fresh, key=lambda p: (p.stat().st_mtime_ns, p.name), default=None)
    return newest, bool(made)


def _import(col, package: Path, backup: Path | None) -> ImportLog:
    """Import the package with Anki's default options, as File › Import offers them."""
    from anki.errors import AnkiException
    from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER as IF_NEWER
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    defaults = dict(merge_notetypes=False, update_notes=IF_NEWER, update_notetypes=IF_NEWER, with_scheduling=False,
                    with_deck_configs=False)
    known = ImportAnkiPackageOptions.DESCRIPTOR.fields_by_name  # an older anki lacks the last ones
    options = ImportAnkiPackageOptions(**{name: value for name, value in defaults.items() if name in known})
    presets = {key: col.get_config(key, _MISSING) for key in _PRESET_KEYS}
    try:
        result = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options))
    except AnkiException as exc:
        kept = f"; the backup is {backup}" if backup else ""
        raise DeckgenError(f"{package}: error: Anki could not import the package ({exc}){kept}") from exc
    finally:
        for key, value in presets.items():
            if col.get_config(key, _MISSING) != value:
                col.remove_config(key) if value is _MISSING else col.set_config(key, value)
    log = result.log

    def questions(notes) -> tuple[str, ...]:
        return tuple(field_text(n.fields[0]) if n.fields else "" for n in notes)

    skipped = tuple((why, q) for why, notes in (
        ("its notetype is missing", log.missing_notetype), ("its deck is missing", log.missing_deck),
        ("its first field is empty", log.empty_first_field), ("a note has the same first field", log.first_field_match),
    ) for q in questions(notes))
    return ImportLog(found=log.found_notes, new=questions(log.new), updated=questions(log.updated),
                     unchanged=questions(log.duplicate), conflicting=questions(log.conflicting), skipped=skipped)


def _check_schema(col, target: Target) -> None:
    """Refuse a package whose notetype has other fields or card types than the collection's.

    With "Merge note types" off, Anki would leave every note of that notetype as it is ("conflicting")
    and add an unused copy of the notetype; such a version (`build --migrate-notetype`) is imported
    once by hand, with the option on, as its build says.
    """
    notetype = col.models.get(NOTETYPE_ID)
    if notetype is None:
        return
    have = ([f.get("id") for f in notetype["flds"]], [t.get("id") for t in notetype["tmpls"]])
    if have != ([fid for fid, _ in SCHEMA.fields], [t.id for t in SCHEMA.templates]):
        raise DeckgenError(
            f'{target.collection}: error: the notetype "{notetype["name"]}" in the collection has other fields or '
            f'card types than this package\'s "{NOTETYPE_NAME}"; push imports with "Merge note types" off, and Anki '
            "would then leave every note of it as it is (conflicting): import the package once by hand with "
            '"Merge note types" on (File › Import), then push again; nothing was imported')


def _find_removed(col, removed: tuple[dict, ...]) -> tuple[RemovedNote, ...]:
    """The collection's notes with a GUID the lock lists as removed, and deckgen's fields."""
    by_guid = {entry["guid"]: entry for entry in removed}
    guids = list(by_guid)
    found = []
    fields_of: dict[int, list[str]] = {}
    for start in range(0, len(guids), _CHUNK):
        chunk = guids[start : start + _CHUNK]
        rows = col.db.all(f"select id, guid, mid from notes where guid in ({','.join('?' * len(chunk))})", *chunk)
        for nid, guid, mid in rows:
            if mid not in fields_of:
                notetype = col.models.get(mid)
                fields_of[mid] = [f["name"] for f in notetype["flds"]] if notetype else []
            if mid != NOTETYPE_ID and fields_of[mid] != list(FIELDS):  # another kind of note: not ours
                continue
            reviews = col.db.scalar("select count() from revlog where cid in (select id from cards where nid = ?)", nid)
            entry = by_guid[guid]
            found.append(RemovedNote(note_id=nid, question=entry["question"], file=entry["file"],
                                     version=entry["version"], reviews=int(reviews or 0)))
    return tuple(sorted(found, key=lambda n: (n.file, n.question, n.note_id)))


def _delete(col, notes: tuple[RemovedNote, ...], backup: Path | None) -> None:
    """Delete the notes (and their cards) as Browse › Delete does."""
    from anki.errors import AnkiException

    try:
        col.remove_notes([note.note_id for note in notes])
    except AnkiException as exc:
        kept = f"; the backup is {backup}" if backup else ""
        raise DeckgenError(f"error: the package was imported, but Anki could not delete the removed notes "
                           f"({exc}){kept}") from exc


def _through_ankiconnect(package: Path, target: Target, prune: bool, removed: tuple[dict, ...]) -> PushReport:
    """Ask the running Anki to import the package through AnkiConnect; never write its collection."""
    held = f"Anki has the collection open ({target}), and deckgen never writes a collection Anki holds"
    if prune and removed:
        raise DeckgenError(f"error: {held}; --prune deletes notes only with the collection closed: close Anki "
                           "and run `deckgen push --prune` again; nothing was imported")
    try:
        ankiconnect.call("version")
    except ankiconnect.Unreachable as exc:
        raise DeckgenError(
            f"error: {held}: close Anki and run `deckgen push` again, or install the AnkiConnect add-on "
            f"(in Anki: Tools › Add-ons › Get Add-ons…, code {ankiconnect.ADDON_CODE}) and restart Anki, "
            f"so that deckgen can import through it while Anki runs; nothing was imported (nothing answers "
            f"at {ankiconnect.URL})") from exc
    except ankiconnect.AnkiConnectError as exc:
        raise DeckgenError(f"error: {held}, and AnkiConnect at {ankiconnect.URL} answered: {exc}; close Anki "
                           "and run `deckgen push` again; nothing was imported") from exc
    if target.profile:
        try:
            active = ankiconnect.call("getActiveProfile")
        except ankiconnect.AnkiConnectError:
            active = None  # an older AnkiConnect: it cannot tell
        except ankiconnect.Unreachable as exc:
            raise DeckgenError(f"error: AnkiConnect stopped answering at {ankiconnect.URL}; nothing was imported") from exc
        if isinstance(active, str) and active != target.profile:
            raise DeckgenError(f'error: {held}, but the Anki AnkiConnect talks to has the profile "{active}" open, '
                               f'not "{target.profile}"; nothing was imported')
    try:
        result = ankiconnect.import_package(str(package))
    except ankiconnect.Unreachable as exc:
        raise DeckgenError(f"error: AnkiConnect stopped answering during the import ({exc}); look in Anki's "
                           "Browse window whether the notes arrived, then push again") from exc
    except ankiconnect.AnkiConnectError as exc:
        raise DeckgenError(f"{package}: error: Anki could not import the package through AnkiConnect: {exc}") from exc
    if result is not True:
        raise DeckgenError(f"{package}: error: AnkiConnect did not import the package (Anki has no collection "
                           "open?); nothing was imported")
    return PushReport(target=target, package=package, via="AnkiConnect", log=None, removed_listed=len(removed))


def summary(log: ImportLog) -> str:
    """Say in one line what the import did: "2 new, 1 updated, 40 unchanged"."""
    parts = [f"{len(log.new)} new", f"{len(log.updated)} updated", f"{len(log.unchanged)} unchanged"]
    if log.conflicting:
        parts.append(f"{len(log.conflicting)} conflicting")
    if log.skipped:
        parts.append(f"{len(log.skipped)} not imported")
    return ", ".join(parts) + f" (of {count(log.found, 'note')} in the package)"
