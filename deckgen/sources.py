"""Stage 1: find the note files and read them as text -> list[SourceFile]."""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import stat
from pathlib import Path

from deckgen.errors import DeckgenError, Problems
from deckgen.ids import nfc
from deckgen.inputs import LOCK_NAME, NOTE_SUFFIXES, folders_above  # noqa: F401 (LOCK_NAME: imported from here)
from deckgen.model import SourceFile, SourceLocation
from deckgen.textsafe import printable


def sources_root(paths: tuple[Path, ...]) -> Path:
    """Return the folder that owns the build: deckgen.toml and deckgen.lock live there."""
    folders = [p if p.is_dir() else p.parent for p in (q.resolve() for q in paths)]
    return Path(os.path.commonpath(folders)) if folders else Path.cwd()


def display_path(path: Path) -> str:
    """Show a path relative to the working folder when it lies below it."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def find_note_files(paths: tuple[Path, ...], root: Path, exclude: tuple[str, ...],
                    problems: Problems | None = None) -> list[Path]:
    """List the markdown files named or found below the given folders, in a stable order.

    A file found in a folder that is a link to a file outside it is skipped with a warning: only
    a file named outright may come from elsewhere.
    """
    found: dict[Path, None] = {}
    named: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise DeckgenError(f"{given}: error: no such file or folder", exit_code=2)
        if not given.is_dir():  # a file, or a pipe read_source skips with a warning
            found[given.resolve()] = None
            named.add(given.resolve())
            continue
        folder = given.resolve()
        for path in sorted(given.rglob("*")):
            if path.suffix.lower() in NOTE_SUFFIXES and not path.is_dir():
                if any(part.startswith(".") for part in path.relative_to(given).parts):
                    continue
                real = path.resolve()
                if not real.is_relative_to(folder):
                    if problems is not None:
                        problems.warn(SourceLocation(nfc(display_path(path)), 0),
                                      "a link to a file outside the notes folder; skipped")
                    continue
                found[real] = None
    files = []
    for path in found:
        rel = nfc(_relative(path, root))
        if any(_excluded(rel, pattern) for pattern in exclude):
            continue
        # A book's index and a change log are read for titles, not as notes, unless named outright.
        # A README is read like any note file: many collections keep their questions there, and
        # one that only lists the other files (a table of contents) simply holds no question.
        if path.name.lower() in ("summary.md", "changelog.md") and path not in named:
            continue
        files.append(path)
    return files


def unread_locks(paths: tuple[Path, ...], root: Path, name: str) -> list[Path]:
    """Find the lock files (`name`) near a build that it does not read: it reads only the one in
    `root`. Looked for below the folders named (as their notes are), in the folders above the
    root up to the working folder (or in its parent, when the root is not below it), and in the
    working folder itself."""
    root = root.resolve()
    found: dict[Path, None] = {}
    for given in paths:
        if given.is_dir():
            for folder, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if name in files:
                    found[(Path(folder) / name).resolve()] = None
    for folder in map(Path, folders_above(str(root))):
        if (folder / name).is_file():
            found[(folder / name).resolve()] = None
    return [p for p in found if p != root / name]


def _excluded(rel: str, pattern: str) -> bool:
    """Match an `exclude` entry: a glob on the path (`drafts/*.md`, `**/old-*.md`) or a folder."""
    pattern = pattern.strip().strip("/")
    return (
        fnmatch.fnmatchcase(rel, pattern)
        or fnmatch.fnmatchcase(rel, pattern.removeprefix("**/"))
        or rel.startswith(pattern + "/")
        or Path(rel).match(pattern)
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_source(path: Path, root: Path, problems: Problems) -> SourceFile | None:
    """Read one note file as text, whatever editor wrote it; None if it cannot be read.

    Its text and names are composed to NFC: a file saved in NFD (as macOS tools write Korean),
    or under an NFD name, is the same file with the same questions.
    """
    shown = nfc(display_path(path))
    where = SourceLocation(shown, 0)
    try:
        _relative(path, root).encode("utf-8")
    except UnicodeEncodeError:  # bytes no encoding names: they cannot go into a card or the lock
        problems.error(SourceLocation(printable(shown), 0), "the file name is not valid UTF-8; rename the file")
        return None
    try:
        # Not blocking: a named pipe opens at once, and is then skipped rather than waited on.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        problems.error(where, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            problems.warn(where, "not a regular file (a pipe, socket or device); skipped")
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read()
    except OSError as exc:
        problems.error(where, f"cannot read file: {exc.strerror or exc}")
        return None
    finally:
        os.close(fd)
    text = decode(data, where, problems)
    if text is None:
        return None
    return SourceFile(path=path, rel=nfc(_relative(path, root)), display=shown, text=text)


def decode(data: bytes, where: SourceLocation, problems: Problems) -> str | None:
    """Decode UTF-8 (with or without BOM) or, with a warning, CP949; normalise line ends and NFC."""
    if b"\x00" in data[:8192]:
        problems.error(where, "not a text file (it contains NUL bytes)")
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp949")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            problems.error(
                SourceLocation(where.path, line),
                "cannot decode the file as UTF-8 or CP949 (EUC-KR); "
                "save it as UTF-8 (e.g. `iconv -f <encoding> -t UTF-8`)",
            )
            return None
        problems.warn(where, "file is not UTF-8; read it as CP949 (EUC-KR) — consider saving it as UTF-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return nfc(text)


# Link texts that say where to click, not what the file is about: the file's own title is better.
_GENERIC_LABEL = re.compile(
    r"(?i)\s*(?:\d+[.)]?|바로\s*가기|링크|여기|이동|보기|답변?|정답|here|link|click( here)?|go|answers?|"
    r"read more|more|details?|→|->|»)\s*"
)


def summary_titles(root: Path) -> dict[Path, str]:
    """Map note files to the titles a GitBook SUMMARY.md (or a README) gives them in its links."""
    from urllib.parse import unquote

    from deckgen.media import on_disk

    titles: dict[Path, str] = {}
    for folder in (root.parent, root):
        for name in ("README.md", "SUMMARY.md"):  # SUMMARY.md wins where both name a file
            index = folder / name
            if not index.is_file():
                continue
            try:
                text = index.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            from deckgen.markdown import markdown  # only for an index: a worker may parse the notes

            for token in markdown().parse(text):
                children = token.children or []
                for i, child in enumerate(children):
                    href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
                    target = unquote(href.split("#", 1)[0])
                    if not target.lower().endswith(NOTE_SUFFIXES) or "://" in target:
                        continue
                    label = []
                    for inner in children[i + 1 :]:
                        if inner.type == "link_close":
                            break
                        if inner.type in ("text", "code_inline"):
                            label.append(inner.content)
                    title = "".join(label).strip()
                    if title and not _GENERIC_LABEL.fullmatch(title):
                        titles[on_disk(folder / target).resolve()] = title
    return titles
