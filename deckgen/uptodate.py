"""A rebuild with nothing changed, answered before the command line is parsed.

The same `deckgen build` arguments, given in the same folder (with the same Python, deckgen and
click), are the same build settings. So once a build has succeeded, the CLI keeps, under those
arguments, what its settings came to and what a rebuild with nothing changed prints
(`remember`). The next run with those arguments takes the fingerprint of every input again
(inputs.fingerprint, the one the build's own records use) and, if it is the recorded one and the
package is still there, prints that and stops (`replay`), without importing click or the
pipeline. Whatever is out of the ordinary goes the usual way, which says what is going on:
another build running, a journal to recover, a lock the build does not read, output that is not
UTF-8.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys

from deckgen import inputs

TYPE_CHECKING = False  # not typing's: importing it would be a good part of a rebuild's time
if TYPE_CHECKING:
    from deckgen.model import Unchanged

_FORMAT = 1


def _key(argv: list[str]) -> str:
    return repr((_FORMAT, sys.version, sys.path, inputs.PACKAGE, os.getcwd(), list(argv)))


def _path(key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return os.path.join(inputs.cache_dir(), "builds", f"cli-{digest}.marshal")


def _root(resolved: list[str]) -> str:
    """The folder that owns the build, as sources.sources_root finds it."""
    return os.path.commonpath([p if os.path.isdir(p) else os.path.dirname(p) for p in resolved])


def remember(argv: list[str], unchanged: Unchanged, *, click: str, err: str, out: str) -> None:
    """Keep what a rebuild with nothing changed prints (`err`, `out`) for the command line `argv`,
    and what tells that nothing changed; `click` is the file of the click that parsed `argv`.
    Skipped silently if it cannot be written."""
    resolved = [os.path.realpath(s) for s in unchanged.sources]
    if not resolved or _root(resolved) != unchanged.root:
        return
    key = _key(argv)
    path = _path(key)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        entry = {
            "key": key, "click": (click, *inputs.stamp(click)), "sources": list(unchanged.sources),
            "resolved": resolved, "root": unchanged.root, "outdir": unchanged.outdir,
            "outdir_resolved": os.path.realpath(unchanged.outdir), "options": unchanged.options,
            "templates": unchanged.templates, "fingerprint": unchanged.fingerprint,
            "record": tuple(unchanged.record), "package": unchanged.package,
            "media": tuple(tuple(m) for m in unchanged.media), "err": err, "out": out,
        }
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(entry, f)
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def replay(argv: list[str]) -> bool:
    """Print what a rebuild with nothing changed prints, if `argv` is one; else return False."""
    if not argv or argv[0] != "build" or sys.platform == "win32":
        return False
    try:
        if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
            return False
        key = _key(argv)
        with open(_path(key), "rb") as f:
            entry = marshal.load(f)
        said = _check(entry, key) if isinstance(entry, dict) else None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: nothing was changed\n")
        sys.exit(130)
    except Exception:  # noqa: BLE001 (missing, foreign or torn: the build goes the usual way)
        return False
    if said is None:
        return False
    try:
        for stream, text in zip((sys.stderr, sys.stdout), said, strict=True):
            if text:
                stream.write(text)
                stream.flush()
    except BrokenPipeError:  # as click does: whoever read the output has gone
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so that the exit flushes nothing)
        sys.exit(1)
    return True


def _utf8(stream) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _check(entry: dict, key: str) -> tuple[str, str] | None:
    """What to print if the build that `entry` describes would change nothing now; else None."""
    if entry.get("key") != key or not inputs.unchanged([entry["click"]]):
        return None
    sources, root = entry["sources"], entry["root"]
    if [os.path.realpath(s) for s in sources] != entry["resolved"] or _root(entry["resolved"]) != root:
        return None
    outdir = entry["outdir_resolved"]
    if os.path.realpath(entry["outdir"]) != outdir or os.path.lexists(os.path.join(root, inputs.JOURNAL_NAME)):
        return None
    held = _lock(root, outdir)
    if held is None:  # another build holds it: the usual way waits, and says so
        return None
    try:
        own = os.path.join(root, inputs.LOCK_NAME)
        for folder in inputs.folders_above(root):
            lock = os.path.join(folder, inputs.LOCK_NAME)
            if os.path.isfile(lock) and os.path.realpath(lock) != own:
                return None
        others: list[str] = []
        found = inputs.fingerprint(root, sources, entry["options"], entry["templates"], others)
        if others or found != entry["fingerprint"] or not os.path.isfile(entry["package"]):
            return None
        if not inputs.unchanged([entry["record"], *entry["media"]]):
            return None
    finally:
        for fd in held:
            os.close(fd)
    return entry["err"], entry["out"]


def _lock(*folders: str) -> list[int] | None:
    """Lock the folders as atomic.BuildLock does, but without waiting; None if they are not free."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this system
        return []
    held: list[int] = []
    for folder in inputs.lock_order(folders):
        try:
            held.append(os.open(folder, os.O_RDONLY))
            fcntl.flock(held[-1], fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            for fd in held:
                os.close(fd)
            return None
    return held
