"""Write several files so that either all of them change or none does, one build at a time.

Each file is written in full to a temporary file beside its target. Only when every one is
written does the commit start, and a failure (bad input, full disk, Ctrl-C) before that leaves
every target byte-for-byte as it was.

The commit renames the temporary files over their targets, the commit record (the lock) last:
once it is in place the build has happened, and not before. With more than one file, a journal
beside the lock first lists every rename and keeps each target's old content under a backup name
(a hard link), so that a rename that fails puts every target back; and a build killed half-way
(power loss, `kill -9`) leaves the journal, from which the next build finishes the commit when the
record was already replaced, or puts every file back when it was not. Ctrl-C during the commit is
held until the build is complete, and then only noted: it is too late to stop what was written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from deckgen.errors import DeckgenError
from deckgen.inputs import JOURNAL_NAME, lock_order  # noqa: F401 (the build and the check import JOURNAL_NAME from here)
from deckgen.model import Diagnostic, SourceLocation
from deckgen.sources import display_path
from deckgen.textsafe import printable

_JOURNAL_FORMAT = 1
LOCK_WAIT_SECONDS = 60.0
"""How long a build waits for another build of the same notes ($DECKGEN_LOCK_TIMEOUT overrides)."""


class InterruptGuard:
    """Holds Ctrl-C back while files are being replaced, and tells afterwards if one came."""

    def __init__(self) -> None:
        self._old = None
        self._held = False
        self.interrupted = False

    def hold(self) -> None:
        """From now on, note Ctrl-C instead of raising KeyboardInterrupt (main thread only)."""
        if self._held or threading.current_thread() is not threading.main_thread():
            return
        self._old = signal.signal(signal.SIGINT, self._note)
        self._held = True

    def _note(self, signum, frame) -> None:  # noqa: ARG002 (signal handler signature)
        self.interrupted = True

    def release(self) -> bool:
        """Let Ctrl-C through again; return whether one arrived while it was held."""
        if self._held:
            signal.signal(signal.SIGINT, self._old if self._old is not None else signal.default_int_handler)
            self._held = False
        return self.interrupted


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def _real_target(target: Path) -> Path:
    """Write through a symbolic link: the file it points to is replaced, the link stays a link."""
    return Path(os.path.realpath(target)) if os.path.islink(target) else target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cannot_write(target: Path, exc: OSError) -> DeckgenError:
    return DeckgenError(f"{display_path(target)}: error: cannot write: {exc.strerror or exc}")


class Staged:
    """Temporary files waiting to replace their targets together.

    `journal` is where the commit's journal goes (beside the lock); `guard` holds Ctrl-C back
    from the start of the commit (the caller releases it once the build is reported).
    """

    def __init__(self, journal: Path | None = None, guard: InterruptGuard | None = None) -> None:
        self._pending: list[tuple[Path, Path, int]] = []  # (temporary, target, rank)
        self._journal = journal
        self._guard = guard
        self._made: list[Path] = []  # folders this build created, removed again if it fails

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        committed = False
        try:
            if exc_type is None:
                self._commit()
                committed = True
        finally:
            for tmp, _, _ in self._pending:
                tmp.unlink(missing_ok=True)
            self._pending.clear()
            if not committed:
                self._remove_made_folders()

    def path_for(self, target: Path, last: bool = False, record: bool = False) -> Path:
        """Reserve a temporary path beside `target` for the caller to write.

        Targets are replaced in the order they were staged, `last` ones after the others, and the
        `record` (the lock, which says what was built) after all of them.
        """
        target = _real_target(target)
        try:
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.extend(reversed(missing))
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise _cannot_write(target, exc) from exc
        os.close(fd)
        tmp = Path(name)
        self._pending.append((tmp, target, 2 if record else 1 if last else 0))
        return tmp

    def write_text(self, target: Path, text: str, record: bool = False) -> None:
        """Stage `text` as the new content of `target`."""
        tmp = self.path_for(target, record=record)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _cannot_write(target, exc) from exc

    def write_lines(self, target: Path, lines, record: bool = False) -> None:
        """Stage the text of `lines` (an iterable of str) as the new content of `target`, written as
        they come: a large text is never all in memory."""
        tmp = self.path_for(target, record=record)
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.writelines(lines)
        except OSError as exc:
            raise _cannot_write(target, exc) from exc

    def _remove_made_folders(self) -> None:
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                pass

    def _commit(self) -> None:
        if not self._pending:
            return
        if self._guard is not None:
            self._guard.hold()
        order = sorted(self._pending, key=lambda item: item[2])  # stable: staging order within a rank
        try:
            for tmp, _, _ in order:
                os.chmod(tmp, 0o644)
                _fsync_file(tmp)
        except OSError as exc:
            raise _cannot_write(order[0][1], exc) from exc
        if len(order) == 1 or self._journal is None:
            for tmp, target, _ in order:
                self._replace(tmp, target)
                _fsync_dir(target.parent)
            return
        entries = self._back_up(order)
        _write_journal(self._journal, entries)
        done: list[dict] = []
        try:
            for entry in entries:
                self._replace(Path(entry["tmp"]), Path(entry["target"]))
                done.append(entry)
            for folder in dict.fromkeys(Path(e["target"]).parent for e in entries):
                _fsync_dir(folder)
        except BaseException as exc:
            try:
                _undo(entries)
                _finish(self._journal, entries)
            except OSError as again:
                raise DeckgenError(
                    f"{display_path(self._journal)}: error: a file could not be replaced, and putting the "
                    f"others back failed too ({again.strerror or again}); the next build puts them back"
                ) from exc
            raise
        _finish(self._journal, entries)

    @staticmethod
    def _replace(tmp: Path, target: Path) -> None:
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from exc

    def _back_up(self, order: list[tuple[Path, Path, int]]) -> list[dict]:
        """Keep every target's current content under a backup name; list the renames."""
        entries = []
        try:
            for tmp, target, _ in order:
                backup = None
                if os.path.lexists(target):
                    backup = tmp.with_name(tmp.name.removesuffix(".tmp") + ".old")
                    try:
                        os.link(target, backup)  # the old bytes, without copying them
                    except OSError:
                        shutil.copy2(target, backup)
                entries.append({"tmp": str(tmp), "target": str(target), "backup": str(backup) if backup else None})
            entries[-1]["sha256"] = _sha256(Path(entries[-1]["tmp"]))
        except OSError as exc:
            _remove_backups(entries)
            raise _cannot_write(Path(order[len(entries) - 1 if entries else 0][1]), exc) from exc
        return entries


def _write_journal(journal: Path, entries: list[dict]) -> None:
    text = json.dumps({"format": _JOURNAL_FORMAT, "renames": entries}, ensure_ascii=False, indent=1) + "\n"
    try:
        fd, name = tempfile.mkstemp(prefix=".deckgen-journal.", suffix=".tmp", dir=journal.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, journal)
        _fsync_dir(journal.parent)
    except OSError as exc:
        _remove_backups(entries)
        raise _cannot_write(journal, exc) from exc


def _remove_backups(entries: list[dict]) -> None:
    for entry in entries:
        if entry.get("backup"):
            Path(entry["backup"]).unlink(missing_ok=True)


def _undo(entries: list[dict]) -> None:
    """Put back every target already replaced (its backup, or no file where there was none)."""
    for entry in reversed(entries):
        if os.path.lexists(entry["tmp"]):
            continue  # never renamed: its target is untouched
        target = Path(entry["target"])
        if entry.get("backup"):
            if os.path.lexists(entry["backup"]):
                os.replace(entry["backup"], target)
        else:
            target.unlink(missing_ok=True)


def _finish(journal: Path, entries: list[dict]) -> None:
    """Forget a commit that is complete or undone: the journal first, then what it kept."""
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)
    for entry in entries:
        Path(entry["tmp"]).unlink(missing_ok=True)
    _remove_backups(entries)


def recover(journal: Path) -> Diagnostic | None:
    """Finish or undo a commit that a killed build left half-done; say which.

    The commit happened if its record (the last file renamed) holds the new content: then the
    other renames happened before it, and only the backups are left to remove. Otherwise every
    replaced target gets its old content back and the new files are removed.
    """
    if not os.path.lexists(journal):
        return None
    shown = display_path(journal)
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        entries = data["renames"]
        if data.get("format") != _JOURNAL_FORMAT or not entries or not all(
            isinstance(e, dict) and isinstance(e.get("tmp"), str) and isinstance(e.get("target"), str)
            and isinstance(e.get("backup"), str | None) for e in entries
        ):
            raise ValueError("unexpected content")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DeckgenError(
            f"{shown}: error: an interrupted build left this journal, but it cannot be read ({exc}); "
            "check that the lock and the newest package belong together, then delete it"
        ) from exc
    record = entries[-1]
    try:
        committed = os.path.isfile(record["target"]) and _sha256(Path(record["target"])) == record.get("sha256")
        if not committed:
            _undo(entries)
        _finish(journal, entries)
    except OSError as exc:
        raise DeckgenError(
            f"{shown}: error: an interrupted build left this journal, and it cannot be completed: "
            f"{exc.strerror or exc}"
        ) from exc
    where = SourceLocation(display_path(Path(record["target"])), 0)
    if committed:
        return Diagnostic("warning", "the previous build was interrupted after it was written; finished it", where)
    return Diagnostic(
        "warning", "the previous build was interrupted while it was written; put back the files it had replaced", where
    )


class BuildLock:
    """One build of a set of notes at a time: an exclusive lock on the folders it writes.

    The sources folder is locked (it holds the lock file and the journal, whatever the output
    folder), and the output folder too when it exists (several decks may share its CHANGELOG.md).
    A folder, not a file in it, is locked, so that nothing is left behind. A second build waits
    up to LOCK_WAIT_SECONDS for the first, then gives up with an error.
    """

    def __init__(self, *folders: Path, timeout: float | None = None) -> None:
        self.folders = folders
        if timeout is None:
            try:
                timeout = float(os.environ.get("DECKGEN_LOCK_TIMEOUT", LOCK_WAIT_SECONDS))
            except ValueError:
                timeout = LOCK_WAIT_SECONDS
        self.timeout = timeout
        self._fds: list[int] = []
        self.diagnostics: list[Diagnostic] = []

    def __enter__(self) -> BuildLock:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this system
            return self
        try:
            for folder in lock_order(self.folders):
                self._lock(fcntl, folder)
        except BaseException:
            self._unlock()
            raise
        return self

    def _lock(self, fcntl, folder: Path) -> None:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        self._fds.append(fd)
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    self.diagnostics.append(Diagnostic(
                        "warning",
                        f"cannot lock this folder ({exc.strerror or exc}); make sure no other build runs at the same time",
                        SourceLocation(display_path(folder), 0),
                    ))
                    return
            if time.monotonic() >= deadline:
                raise DeckgenError(
                    f"{display_path(folder)}: error: another deckgen build is writing here "
                    f"(waited {self.timeout:g} s); try again when it has finished"
                )
            if not told:
                print(f"{printable(display_path(folder))}: waiting for another deckgen build to finish…", file=sys.stderr)
                told = True
            time.sleep(0.05)

    def _unlock(self) -> None:
        for fd in self._fds:
            os.close(fd)  # closing the folder releases its lock
        self._fds.clear()

    def __exit__(self, exc_type, exc, tb) -> None:
        self._unlock()
