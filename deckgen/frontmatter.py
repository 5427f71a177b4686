"""What a note file says about itself: front matter, title, tags, shape setting and file order."""

from __future__ import annotations

import re

import yaml

from deckgen.errors import Problems
from deckgen.markdown import inline_text
from deckgen.model import SourceFile, SourceLocation
from deckgen.shapes import SHAPES, canonical
from deckgen.tree import Node

_UNCLOSED_FRONT_MATTER = re.compile(r"---[ \t]*\n[ \t]*[\w-]+[ \t]*:(?:[ \t]|\n)")


def read(root: Node, source: SourceFile, problems: Problems) -> dict:
    """Return the file's front matter as a mapping ({} if it has none or it cannot be read)."""
    first = root.children[0] if root.children else None
    if first is None or first.type != "front_matter":
        if _UNCLOSED_FRONT_MATTER.match(source.text):
            problems.warn(
                SourceLocation(source.display, 1),
                "front matter is never closed (no second `---` line); read as ordinary text",
            )
        return {}
    try:
        meta = yaml.safe_load(first.content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        reason = getattr(exc, "problem", None) or "invalid YAML"
        problems.error(SourceLocation(source.display, line), f"front matter: {reason}")
        return {}
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        problems.warn(SourceLocation(source.display, 1), "front matter is not a mapping; ignored")
        return {}
    return meta


def title(meta: dict, root: Node, source: SourceFile) -> str:
    """The file's title (its subdeck name): front matter, else the first `#` heading, else the name."""
    title = meta.get("title")
    if isinstance(title, (str, int, float)) and str(title).strip():
        return str(title).strip()
    for node in root.children:
        if node.type == "heading" and node.tag == "h1":
            text = inline_text(node.children[0].token)
            if text:
                return text
    return re.sub(r"^\d+[-_. ]+", "", source.path.stem) or source.path.stem


def tags(meta: dict) -> tuple[str, ...]:
    """The file's tags: its front matter's categories and tags, spaces made underscores."""
    tags: list[str] = []
    for key in ("categories", "tags"):
        value = meta.get(key)
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value) if v]
        if isinstance(value, list):
            for v in value:
                tag = re.sub(r"\s+", "_", str(v).strip())
                if tag and tag not in tags:
                    tags.append(tag)
    return tuple(tags)


def order(rel: str) -> tuple[int, str]:
    """Sort key of a file: the number its name starts with, then its path."""
    name = rel.rsplit("/", 1)[-1]
    m = re.match(r"(\d+)", name)
    return (int(m.group(1)) if m else 1 << 30, rel)


def shape_setting(meta: dict, source: SourceFile, problems: Problems) -> str | None:
    """The shape a file's front matter asks for (`deckgen: {shape: qa}`), None to detect it."""
    settings = meta.get("deckgen")
    value = settings.get("shape") if isinstance(settings, dict) else meta.get("shape")
    if value is None:
        return None
    if not isinstance(value, str) or canonical(value) is None:
        line = next((n for n, text in enumerate(source.text.split("\n"), 1)
                     if re.match(r"\s*shape\s*:", text)), 1)
        problems.warn(
            SourceLocation(source.display, line),
            f'front matter: unknown shape "{value}" (expected one of {", ".join(SHAPES)}); '
            "detecting it instead",
        )
        return None
    return value
