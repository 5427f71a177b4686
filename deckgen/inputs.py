"""What a build reads, told apart from what it read last time: file stamps and one fingerprint.

A rebuild with nothing changed is answered from these alone, before anything else is imported
(see uptodate.py), so this module needs only the lightest parts of the standard library.

The notes, their settings, the lock and the indexes are hashed byte for byte: a copy or a sync
tool can keep a file's size and mtime and still change its bytes. So are deckgen's own code and
templates. The fonts among the templates (megabytes, binary, only ever replaced whole by an
install or a checkout, and named by their content in the subsets' manifest, which is hashed) and
the images are looked at, not read: their stamp (see `stamp`) changes whenever their bytes can
have.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time

NOTE_SUFFIXES = (".md", ".markdown")
LOCK_NAME = "deckgen.lock"
"""The lock beside the notes (see lock.py)."""
JOURNAL_NAME = ".deckgen-journal.json"
"""What a commit that has not finished leaves beside the lock (see atomic.py)."""
INDEXES = ("deckgen.toml", LOCK_NAME, "README.md", "SUMMARY.md")
"""The files beside the notes (and one folder up) that a build reads besides the notes themselves."""

PACKAGE = os.path.dirname(os.path.realpath(__file__))
_FONTS = (".otf", ".ttf", ".woff", ".woff2")
_RECENT_NS = 2_000_000_000


def cache_dir() -> str:
    """Return deckgen's cache folder ($DECKGEN_CACHE, else the XDG cache)."""
    if os.environ.get("DECKGEN_CACHE"):
        return os.environ["DECKGEN_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "deckgen")


def stamp(path: str | os.PathLike) -> tuple:
    """Return what tells that a file changed since it was stamped, without reading it.

    Its mtime and size, and its ctime and inode: a write, or a file put in its place, sets the
    ctime to the time of the change, which no tool can set back (a copy that keeps the mtime
    cannot hide). Two writes within one tick of the file system's clock would share a ctime, so
    a file changed in the last two seconds has the hash of its bytes added to its stamp.
    """
    st = os.stat(path)
    found = (st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino)
    if time.time_ns() - max(st.st_ctime_ns, st.st_mtime_ns) < _RECENT_NS and stat.S_ISREG(st.st_mode):
        return (*found, _digest(path))
    return found


def unchanged(stamps) -> bool:
    """Tell whether every (path, *stamp) still describes its file."""
    for path, *old in stamps:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if (st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino) != tuple(old[:4]):
            return False
        if len(old) > 4 and _digest(path) != old[4]:  # stamped just after a change: its bytes tell
            return False
    return True


def _digest(path) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return "unreadable"


_code: str | None = None


def code_fingerprint() -> str:
    """Hash deckgen's own code: a new version of deckgen never reuses what an old one made."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        for rel, path in sorted(_code_files(PACKAGE, "")):  # subpackages too: the shapes live in shapes/
            with open(path, "rb") as f:
                h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + f.read())
        _code = h.hexdigest()
    return _code


def _code_files(folder: str, rel: str):
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    yield from _code_files(entry.path, f"{rel}{entry.name}/")
            elif entry.name.endswith(".py"):
                yield f"{rel}{entry.name}", entry.path


def fingerprint(root: str | os.PathLike, sources, options: str, templates: str | os.PathLike,
                locks: list[str] | None = None) -> str:
    """Hash every input of a build: notes, settings, lock, indexes, templates and code.

    `options` is everything else the build depends on, as text; each of `sources` (a note file
    or a folder of them) is hashed under the name it is given by. `locks`, if given, is told
    every other lock file found among the notes.
    """
    root = os.fspath(root)
    h = hashlib.sha256(code_fingerprint().encode() + options.encode("utf-8", "surrogatepass"))
    for name in INDEXES:
        for folder in (root, os.path.dirname(root)):
            _hash_file(h, os.path.join(folder, name))
    repository = _repository(root)  # where `/path` images and links resolve, and its remotes (media.py)
    h.update(f"{repository}\0".encode("utf-8", "surrogatepass"))
    _hash_file(h, os.path.join(repository, ".git", "config"))
    for given in map(os.fspath, sources):
        if not os.path.isdir(given):
            _hash_file(h, given)
            continue
        for path, name in _tree(given, hidden=False):  # as sources.find_note_files: not .git and the like
            if name.lower().endswith(NOTE_SUFFIXES):
                _hash_file(h, path)
            elif name == LOCK_NAME and locks is not None and os.path.realpath(path) != os.path.join(root, LOCK_NAME):
                locks.append(path)
    for path, name in _tree(os.fspath(templates)):
        if name.lower().endswith(_FONTS):
            try:
                st = os.stat(path)
                seen = (st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino)
            except OSError:
                seen = "missing"
            h.update(f"{path}\0{seen}\0".encode("utf-8", "surrogatepass"))
        elif os.path.isfile(path):
            _hash_file(h, path)
    return h.hexdigest()


def _repository(root: str) -> str:
    """The nearest folder from `root` up that holds .git, else `root` (as media.repository_root)."""
    folder = root
    while not os.path.exists(os.path.join(folder, ".git")):
        if os.path.dirname(folder) == folder:
            return root
        folder = os.path.dirname(folder)
    return folder


def lock_order(folders) -> list:
    """The folders a build locks, each once (two names of one folder are one lock) and those
    that exist only, in the one order every build takes them in, so that two never deadlock."""
    seen: dict = {}
    for folder in folders:
        try:
            st = os.stat(folder)
        except OSError:
            continue  # not there yet: nothing of it to protect
        seen.setdefault((st.st_dev, st.st_ino), folder)
    return [folder for _, folder in sorted(seen.items())]


def folders_above(root: str) -> list[str]:
    """The folders above a build's root whose lock it warns of (see sources.unread_locks): the one
    just above, those above it up to the working folder (or none, when the root is not below it),
    and the working folder itself."""
    cwd = os.path.realpath(os.getcwd())
    inside = cwd if cwd.endswith(os.sep) else cwd + os.sep
    found = [os.path.dirname(root)]
    folder = root
    while os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        if folder == cwd or folder.startswith(inside):
            found.append(folder)
    return [*dict.fromkeys(found), cwd]


def _tree(folder: str, hidden: bool = True):
    """Every (path, name) below `folder`, in a stable order, but those whose name starts with a dot
    unless `hidden`; folders that are links are not entered."""
    try:
        with os.scandir(folder) as found:
            entries = sorted((e for e in found if hidden or not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:  # unreadable (or gone): nothing of it is read by the build either
        return
    for entry in entries:
        yield entry.path, entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _tree(entry.path, hidden)


def _hash_file(h, path: str) -> None:
    """Hash a file's name and bytes; only a regular file is read (a named pipe would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        digest = hashlib.sha256(b"\xff missing").digest()
    else:
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                with os.fdopen(os.dup(fd), "rb") as f:
                    digest = hashlib.file_digest(f, "sha256").digest()  # in blocks: a large lock is not all in memory
            else:
                digest = hashlib.sha256(f"\xff not a file {st.st_mode}".encode()).digest()
        except OSError:
            digest = hashlib.sha256(b"\xff unreadable").digest()
        finally:
            os.close(fd)
    h.update(path.encode("utf-8", "surrogatepass") + b"\0" + digest)
