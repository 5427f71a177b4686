"""What a note file says about itself: front matter, title, tags, shape setting and file order."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deckgen.errors import Problems, did_you_mean
from deckgen.ids import nfc
from deckgen.markdown import inline_text
from deckgen.model import SourceFile, SourceLocation
from deckgen.shape_names import SHAPES, canonical
from deckgen.tree import Node

if TYPE_CHECKING:
    import yaml

# PyYAML is imported when a file has front matter: most note files have none, and its import
# takes about 0.03 s (of every process that parses a file).
_UNCLOSED_FRONT_MATTER = re.compile(r"---[ \t]*\n[ \t]*[\w-]+[ \t]*:(?:[ \t]|\n)")
MAX_VALUES = 10_000
"""Values front matter may hold, counting each use of a YAML alias (`*name`) as a copy."""


class _TooBig(Exception):
    pass


def _load(text: str):
    """yaml.safe_load, bounded: aliases that multiply (a "billion laughs") are refused unbuilt."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise _TooBig
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """Count the values of a YAML node graph as if every alias were written out, in linear time."""
    import yaml

    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        children = [] if isinstance(node, yaml.ScalarNode) else (
            [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
        )
        if finished:
            open_nodes.discard(id(node))
            size[id(node)] = min(1 + sum(size[id(c)] for c in children), MAX_VALUES + 1)
            continue
        if id(node) in size:
            continue
        if id(node) in open_nodes:  # an alias inside its own anchor: endless when written out
            return MAX_VALUES + 1
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)]


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
    import yaml

    try:
        meta = _load(first.content)
    except _TooBig:
        problems.error(SourceLocation(source.display, 1),
                       f"front matter: more than {MAX_VALUES:,} values once its aliases (*name) are expanded")
        return {}
    except RecursionError:
        problems.error(SourceLocation(source.display, 1), "front matter: nested too deeply")
        return {}
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
    stem = nfc(source.path.stem)  # a file saved under an NFD name is titled as under its NFC one
    return re.sub(r"^\d+[-_. ]+", "", stem) or stem


def tags(meta: dict) -> tuple[str, ...]:
    """The file's tags: its front matter's categories and tags, spaces made underscores."""
    tags: list[str] = []
    for key in ("categories", "tags"):
        value = meta.get(key)
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value) if v]
        if isinstance(value, list):
            for v in value:
                if not isinstance(v, str | int | float):
                    continue  # a list or table inside the tags names no tag
                tag = re.sub(r"\s+", "_", str(v).strip())
                if tag and tag not in tags:
                    tags.append(tag)
    return tuple(tags)


def order(rel: str) -> tuple[int, str]:
    """Sort key of a file: the number its name starts with, then its path."""
    name = rel.rsplit("/", 1)[-1]
    m = re.match(r"(\d+)", name)
    return (int(m.group(1)) if m else 1 << 30, rel)


SETTINGS = ("shape", "sections")
"""What `deckgen:` in front matter may set."""


def _line(source: SourceFile, key: str, inside: str = "") -> int:
    """The line of `key:` in the file's front matter (from the line of `inside:` on, when given)."""
    lines = source.text.split("\n")
    end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in ("---", "...")), len(lines))
    start = 1
    if inside:
        start = next((n for n in range(1, end) if re.match(rf"\s*{re.escape(inside)}\s*:", lines[n])), 1)
    pattern = re.compile(rf"(?:^\s*|[{{,]\s*)['\"]?{re.escape(key)}['\"]?\s*:")
    found = next((n for n in range(start, end) if pattern.search(lines[n])), start if inside else 0)
    return found + 1


def _settings(meta: dict, source: SourceFile, problems: Problems) -> dict:
    """The `deckgen:` mapping of the front matter ({} if none); what it holds that deckgen does not
    read is an error at its line, like an unknown setting in deckgen.toml."""
    settings = meta.get("deckgen")
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        kind = {str: "a string", list: "a list", bool: "true/false", int: "a number", float: "a number"}
        problems.error(SourceLocation(source.display, _line(source, "deckgen")),
                       'front matter: "deckgen" must be a mapping of settings (e.g. `deckgen: {shape: qa}`), '
                       f"not {kind.get(type(settings), 'a date')}")
        return {}
    for key in settings:
        if key not in SETTINGS:
            name = str(key)
            problems.error(SourceLocation(source.display, _line(source, name, inside="deckgen")),
                           f'front matter: unknown setting "{name}" under deckgen'
                           + (did_you_mean(name, SETTINGS) or f" (expected {' or '.join(SETTINGS)})"))
    return settings


def section_shapes(meta: dict, source: SourceFile, problems: Problems) -> dict[str, str]:
    """The shapes front matter sets for sections (`deckgen: {sections: {질의응답: details}}`):
    section heading text -> shape."""
    value = _settings(meta, source, Problems()).get("sections")  # its problems: see shape_setting
    if value is None:
        return {}
    line = _line(source, "sections", inside="deckgen")
    if not isinstance(value, dict):
        problems.warn(SourceLocation(source.display, line),
                      "front matter: `sections` maps section headings to shapes; ignored")
        return {}
    chosen = {}
    choices = [s for s in SHAPES if s != "anchored"]
    for heading, shape in value.items():
        if not isinstance(shape, str) or canonical(shape) in (None, "auto", "anchored"):
            problems.warn(SourceLocation(source.display, line),
                          f'front matter: section "{heading}": unknown shape "{shape}"'
                          + (did_you_mean(str(shape), choices) or f' (expected one of {", ".join(choices)})')
                          + "; detecting it instead")
            continue
        chosen[str(heading)] = canonical(shape)
    return chosen


def shape_setting(meta: dict, source: SourceFile, problems: Problems) -> str | None:
    """The shape a file's front matter asks for (`deckgen: {shape: qa}`), None to detect it.

    Reports what else `deckgen:` holds that is not a setting."""
    settings = _settings(meta, source, problems)
    value = settings.get("shape") if "deckgen" in meta else meta.get("shape")
    if value is None:
        return None
    if not isinstance(value, str) or canonical(value) is None:
        problems.warn(
            SourceLocation(source.display, _line(source, "shape", inside="deckgen" if "deckgen" in meta else "")),
            f'front matter: unknown shape "{value}"'
            + (did_you_mean(str(value), SHAPES) or f' (expected one of {", ".join(SHAPES)})')
            + "; detecting it instead",
        )
        return None
    return value
