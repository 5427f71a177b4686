"""Deck settings: `deckgen.toml` in the sources folder, overridden by command-line options.

    title = "딥러닝 면접"          # root deck name (default: the sources folder's name)
    slug = "dl-interview"          # package file name stem (default: the folder's name)
    version = "semver"             # "semver": bumped from what changed; "2.1.0": pinned
    tags = ["면접"]                # added to every note
    exclude = ["drafts/*.md"]      # globs, relative to the sources folder
    font = "bundled"               # "bundled" (the deck's own font) or "system"
    media_root = "."               # where `/absolute` image paths resolve

    [files."01-basics.md"]
    deck = "기초"                  # subdeck name instead of the file's title
    shape = "headings"             # see shapes/; default: detected

Every mistake is reported with its line: an unknown key, or a value of the wrong type.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from deckgen.errors import Problems, did_you_mean
from deckgen.ids import nfc
from deckgen.media import media_root_problem
from deckgen.model import BuildConfig, DeckConfig, SourceLocation
from deckgen.shape_names import SHAPES, canonical
from deckgen.sources import display_path

CONFIG_NAME = "deckgen.toml"
FONTS = ("bundled", "system")
_STRING_KEYS = {"title", "slug", "version", "font", "media_root"}
_LIST_KEYS = {"tags", "exclude"}
_KEYS = _STRING_KEYS | _LIST_KEYS | {"files"}
_FILE_KEYS = {"deck", "shape"}
_VERSION = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}")


def slugify(text: str) -> str:
    """Make a file-name stem: lower case, words joined by '-'."""
    stem = re.sub(r"[^\w.]+", "-", text.strip().lower()).strip("-.")
    return stem or "deck"


class _Reader:
    """Reports problems in one deckgen.toml at the line of the key they concern."""

    def __init__(self, path: Path, text: str, problems: Problems):
        self.shown = display_path(path)
        self.lines = _key_lines(text)
        self.problems = problems

    def error(self, path: tuple[str, ...], message: str) -> None:
        line = 0
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        self.problems.error(SourceLocation(self.shown, line), message)

    def string(self, data: dict, key: str, path: tuple[str, ...] = ()) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error((*path, key), f'"{key}" must be a string, not {_kind(value)}')
            return None
        return value.strip()

    def strings(self, data: dict, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error((key,), f'"{key}" must be a list of strings, not {_kind(value)}')
            return ()
        wrong = next((i for i, v in enumerate(value, 1) if not isinstance(v, str)), None)
        if wrong is not None:
            self.error((key,), f'"{key}" must be a list of strings; item {wrong} is {_kind(value[wrong - 1])}')
            return ()
        return tuple(v.strip() for v in value if v.strip())


def load(root: Path, build: BuildConfig, problems: Problems) -> DeckConfig:
    """Read deckgen.toml (if any) and merge the command line over it."""
    path = root / CONFIG_NAME
    text = ""
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.error(SourceLocation(display_path(path), 0), f"cannot read the settings: {exc.strerror or exc}")
            data = b""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.error(SourceLocation(display_path(path), data[: exc.start].count(b"\n") + 1),
                           "cannot read the settings as UTF-8 (TOML files are UTF-8); save it as UTF-8")
    return from_text(root, path, text, build, problems)


def retitled(root: Path, title: str) -> str | None:
    """deckgen.toml's text with `title` as the deck's title, or None if it has that title already.

    A deck renamed on the command line keeps its new name here, so the next build does not rename
    it back; the rest of the file (comments, order, other settings) stays as the user wrote it.
    """
    import tomlkit

    path = root / CONFIG_NAME
    text = nfc(path.read_text(encoding="utf-8-sig")) if path.is_file() else ""
    doc = tomlkit.parse(text)
    if doc.get("title") == title:
        return None
    doc["title"] = title
    return tomlkit.dumps(doc)


def from_text(root: Path, path: Path, text: str, build: BuildConfig, problems: Problems) -> DeckConfig:
    """The settings that the TOML `text` of `path` gives, merged under the command line."""
    text = nfc(text)  # names in NFD (as macOS tools write Korean) name the same files and decks
    data: dict = {}
    if text:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            reason = re.sub(r"\s*\(at line \d+, column (\d+)\)", r" (column \1)", str(exc))
            problems.error(SourceLocation(display_path(path), int(m.group(1)) if m else 0), f"invalid TOML: {reason}")
        except RecursionError:
            problems.error(SourceLocation(display_path(path), 0), "invalid TOML: nested too deeply")
        except ValueError as exc:  # e.g. a number with more digits than Python reads
            problems.error(SourceLocation(display_path(path), 0), f"invalid TOML: {exc}")
    read = _Reader(path, text, problems)
    for key in data:
        if key not in _KEYS:
            read.error((key,), f'unknown setting "{key}"{did_you_mean(key, sorted(_KEYS))}')

    title = build.deck_name or read.string(data, "title")
    slug = read.string(data, "slug")
    defaulted = tuple(name for name, value in (("title", title), ("slug", slug)) if not value)
    title, slug = title or nfc(root.name), slug or nfc(root.name)
    version = read.string(data, "version") or "semver"
    if version != "semver" and not _VERSION.fullmatch(version):
        read.error(("version",), f'"version" must be "semver" or a version like "1.2.0", not "{version}"')
        version = "semver"
    elif version != "semver":
        version = ".".join(str(int(part)) for part in version.split("."))
    font = read.string(data, "font") or "bundled"
    if font not in FONTS:
        read.error(("font",), f'"font" must be "bundled" or "system", not "{font}"')
        font = "bundled"
    media_root = read.string(data, "media_root") or None
    if media_root is not None and not _is_dir(root / media_root):
        read.error(("media_root",), f'"media_root" is not a folder: {display_path(root / media_root)}')
        media_root = None
    elif media_root is not None and (why := media_root_problem(root, media_root)):
        read.error(("media_root",), why)
        media_root = None
    tags = tuple(re.sub(r"\s+", "_", t) for t in read.strings(data, "tags"))
    return DeckConfig(
        root=root,
        title=title.replace("::", ":"),
        slug=slugify(slug),
        tags=tags,
        exclude=_exclude(data, read),
        files=_files(data.get("files"), read),
        version=version,
        font=font,
        media_root=media_root,
        defaulted=defaulted,
    )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long, or with a NUL in it
        return False


def _exclude(data: dict, read: _Reader) -> tuple[str, ...]:
    """The `exclude` globs; one that names nothing (`"/"`) is an error, not "every file"."""
    kept = []
    for pattern in read.strings(data, "exclude"):
        if not pattern.strip("/").strip():
            read.error(("exclude",), f'"exclude" pattern "{pattern}" names no file: patterns are relative to the '
                       'notes folder (e.g. "drafts/*.md", or "drafts" for a whole folder)')
        else:
            kept.append(pattern)
    return tuple(kept)


def _files(value: object, read: _Reader) -> tuple[tuple[str, dict[str, str]], ...]:
    """The `[files."x.md"]` tables: per-file subdeck name and shape."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        read.error(("files",), f'"files" must be a table of [files."name.md"] tables, not {_kind(value)}')
        return ()
    files = []
    for name, settings in value.items():
        where = ("files", name)
        if not isinstance(settings, dict):
            read.error(where, f'files."{name}" must be a table, not {_kind(settings)}')
            continue
        kept: dict[str, str] = {}
        for key in settings:
            if key not in _FILE_KEYS:
                read.error((*where, key), f'unknown setting "{key}" in [files."{name}"]'
                           + (did_you_mean(key, sorted(_FILE_KEYS)) or " (expected deck or shape)"))
        deck = read.string(settings, "deck", where)
        if deck:
            kept["deck"] = deck
        shape = read.string(settings, "shape", where)
        if shape:
            if canonical(shape) is None:
                read.error((*where, "shape"), f'unknown shape "{shape}"'
                           + (did_you_mean(shape, SHAPES) or f' (expected one of {", ".join(SHAPES)})'))
            else:
                kept["shape"] = canonical(shape)
        files.append((name, kept))
    return tuple(files)


def _kind(value: object) -> str:
    return {
        bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table",
    }.get(type(value), "a date")


_KEY_PART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_KEY = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_TABLE = re.compile(rf"\s*\[\[?\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?\s*(?:#.*)?$")


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(rf"{_KEY_PART}", text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every key path in a TOML text to the line it is written on (tomllib gives no lines)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    open_string = ""
    for n, line in enumerate(text.splitlines(), 1):
        if open_string:
            if open_string in line:
                open_string = ""
            continue
        if m := _TABLE.match(line):
            table = _split_key(m.group(1))
            lines.setdefault(table, n)
        elif m := _KEY.match(line):
            lines.setdefault(table + _split_key(m.group(1)), n)
            rest = line[m.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) == 1:
                    open_string = quotes
    return lines
