"""Deck settings: `deckgen.toml` in the sources folder, overridden by command-line options."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from deckgen.errors import Problems
from deckgen.model import BuildConfig, DeckConfig, SourceLocation
from deckgen.sources import display_path

CONFIG_NAME = "deckgen.toml"
_KEYS = {"title", "slug", "tags", "exclude", "files"}
_FILE_KEYS = {"deck", "shape"}


def slugify(text: str) -> str:
    """Make a file-name stem: lower case, words joined by '-'."""
    stem = re.sub(r"[^\w.]+", "-", text.strip().lower()).strip("-.")
    return stem or "deck"


def load(root: Path, build: BuildConfig, problems: Problems) -> DeckConfig:
    """Read deckgen.toml (if any) and merge the command line over it."""
    path = root / CONFIG_NAME
    data: dict = {}
    shown = display_path(path)
    if path.is_file():
        text = path.read_text(encoding="utf-8-sig")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            problems.error(SourceLocation(shown, int(m.group(1)) if m else 0), f"invalid TOML: {exc}")
            data = {}
        for key in data:
            if key not in _KEYS:
                problems.error(SourceLocation(shown, _line_of(text, key)), f'unknown setting "{key}"')
    title = build.deck_name or _str(data.get("title")) or root.name
    slug = _str(data.get("slug")) or root.name
    files = []
    for name, settings in (data.get("files") or {}).items():
        if not isinstance(settings, dict):
            problems.error(SourceLocation(shown, _line_of(text, name)), f'files."{name}" must be a table')
            continue
        for key in settings:
            if key not in _FILE_KEYS:
                problems.error(SourceLocation(shown, _line_of(text, key)), f'unknown file setting "{key}"')
        files.append((name, {k: str(v) for k, v in settings.items() if k in _FILE_KEYS}))
    return DeckConfig(
        root=root,
        title=title.replace("::", ":"),
        slug=slugify(slug),
        tags=tuple(_list(data.get("tags"))),
        exclude=tuple(_list(data.get("exclude"))),
        files=tuple(files),
    )


def _str(value: object) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _line_of(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf'\s*"?{re.escape(key)}"?\s*=', line) or re.match(
            rf'\s*\[[^\]]*"?{re.escape(key)}"?\]', line
        ):
            return n
    return 0
