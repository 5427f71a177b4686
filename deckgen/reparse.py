"""Tokenise an edited note file again by reading only the blocks the edit touched.

markdown-it-py reads a document block by block from the top. Where a block begins at the top
level, right after a blank line and at the start of its line, the parser holds nothing open: what
it makes from there on depends only on the lines from there on, and what it made before depends
only on the lines before (and that one, which ended the block above). Such a line is a *restart*.
So is each item of a list at the top level after its first (a file of `- **question?**` notes is
one long list): from there the parser holds only that list open.

An edit changes a run of lines. The tokens before the last restart above it are the old ones;
the tokens from the first restart below it of the same kind (an item of the same list) on are
the old ones, moved by the lines the edit added; only the lines between are read, as a file of
their own, with the restart below in it so the block above it ends as it does in the whole file.
That the restart below is still one is checked (the edit may open a fence that runs on through
it); when it is not, the next one is tried, and in the end the rest of the file is read.

What reaches further than that, and how it is met:
- link reference definitions and footnotes, which markdown-it collects for the whole file before
  it reads any paragraph's text: a file that has either, before or after the edit, is read whole;
- a list's items decide together whether its paragraphs are shown (a loose list) and whether it
  is a task list: when the old items and the new ones do not agree, the file is read whole,
  unless the list is loose for a blank line between two of the items kept as they were (the
  items read again, a tight list on their own, then show their paragraphs as the others do);
- a `$$` block looks for its end past any restart, down to a blank line (see _open_math): the
  restart above must lie before any `$$` still looking, and the lines read reach as far as one;
- a front matter left open: any `---` may close it, so the file is read whole.

The result is the token list a whole-file parse gives, token for token (tests/test_reparse.py
compares them over random edits). Only a long-running process (`deckgen watch`, `deckgen
server`) keeps the last tokens of each file: a one-off build would spend more reading them back
than parsing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.rules_core.normalize import NEWLINES_RE, NULL_RE
from markdown_it.token import Token

from deckgen.markdown import markdown

_TRIES = 4
"""Restarts below an edit tried before the whole file is read."""
_KEEP_MOST = 4096
_BLANK = re.compile(r"[ \t]*")


@dataclass(slots=True)
class Tokenised:
    """One file's tokens with where the parser could restart in it."""

    lines: list[str]
    tokens: list[Token]
    restarts: list[tuple[int, int, int]]
    """(line, index of its first token, index of its list's opening token or -1) of every restart."""
    unmatched: frozenset[int]
    """The lines where a `$$` block was looked for and not found (see _open_math)."""
    fresh: tuple[int, int, int] | None = None
    """How these tokens came from the file's last ones: (a, b, moved): lines [a, b) were read
    again, the tokens above them are the last ones, and those from line b on are the last ones
    moved down by `moved` lines; None: the whole file was read."""
    made: object = None
    """What the reader of these tokens keeps of what it made from them (see parse._Reuse)."""
    made_before: object = None
    """`made` of the file's last tokens, until the reader takes it."""
    spliced: tuple[int, int, int] | None = None
    """The same in token indexes: (a, b, c): tokens[a:b] are new, those above are the last ones
    and tokens[b:] are the last ones from index c on; None: the whole file was read."""
    tree: object = None
    """The block tree the reader built over these tokens (see tree.Node.regrown)."""
    tree_before: object = None
    """`tree` of the file's last tokens, until the reader takes it."""


_kept: dict[str, Tokenised] | None = None


def keep() -> None:
    """Keep each file's last tokens for the rest of this process, to reread only what changes."""
    global _kept
    if _kept is None:
        _kept = {}


def keeping() -> bool:
    """Whether this process keeps files' tokens (see keep())."""
    return _kept is not None


def parse(key: str, text: str, env: dict) -> list[Token]:
    """Tokenise `text` (the file known by `key`) as markdown().parse(text, env) does.

    The file's last tokens are reused where the edit left them as they were, when this process
    keeps them (see keep()); the tokens returned are then the file's, not to be changed."""
    if _kept is None:
        return markdown().parse(text, env)
    lines = _lines(text)
    before = _kept.pop(key, None)
    again = _again(before, lines, env) if before is not None else None
    tokens, fresh, spliced = again if again is not None else (markdown().parse(text, env), None, None)
    if not _collected(env):
        _kept[key] = Tokenised(lines, tokens, restarts(lines, tokens), _unmatched(lines, tokens), fresh,
                               made_before=before.made if fresh is not None else None, spliced=spliced,
                               tree_before=before.tree if fresh is not None else None)
        while len(_kept) > _KEEP_MOST:
            del _kept[next(iter(_kept))]
    return tokens


def kept(key: str) -> Tokenised | None:
    """The tokens this process keeps of the file known by `key` (see keep()), if any."""
    return _kept.get(key) if _kept is not None else None


def _collected(env: dict) -> bool:
    """Whether markdown-it collected link references or footnotes for the whole file."""
    return bool(env.get("references")) or any(env.get("footnotes", {}).values())


def _lines(text: str) -> list[str]:
    """The lines markdown-it reads: its own newline and NUL normalisation first."""
    if "\r" in text or "\0" in text:
        text = NULL_RE.sub("\ufffd", NEWLINES_RE.sub("\n", text))
    return text.split("\n")


def restarts(lines: Sequence[str], tokens: Sequence[Token]) -> list[tuple[int, int, int]]:
    """Find the lines where a parse of `lines` into `tokens` could restart (see the module): the
    blocks of the top level under a blank line, and the items of its lists."""
    found = []
    top_list = -1
    for i, token in enumerate(tokens):
        if token.nesting == -1 or token.map is None or token.level > 1:
            continue
        line = token.map[0]
        if token.level == 0:
            top_list = i if token.type in _LISTS else -1
            if line > 0 and _starts_clean(lines, line):
                found.append((line, i, -1))
        elif token.type == "list_item_open" and top_list >= 0 and line > tokens[top_list].map[0]:
            found.append((line, i, top_list))
    return found


def _starts_clean(lines: Sequence[str], line: int) -> bool:
    """A line at its line's start (no indent), under a blank line."""
    text = lines[line]
    return bool(text) and text[0] not in " \t" and _BLANK.fullmatch(lines[line - 1]) is not None


def _again(before: Tokenised, lines: list[str], env: dict) -> tuple[list[Token], tuple, tuple] | None:
    """The tokens of `lines` made from `before`'s where the edit did not reach, and which lines
    and tokens were read again (see Tokenised.fresh and .spliced); None to read it whole."""
    old = before.lines
    if old == lines:
        n = len(before.tokens)
        return before.tokens, (0, 0, 0), (n, n, n)
    if not before.tokens or lines[0].startswith("---") and before.tokens[0].type != "front_matter":
        return None  # a front matter left open so far: a `---` put in anywhere may close it
    same_start = 0
    most = min(len(old), len(lines))
    while same_start < most and old[same_start] == lines[same_start]:
        same_start += 1
    same_end = 0
    while same_end < most - same_start and old[-1 - same_end] == lines[-1 - same_end]:
        same_end += 1
    moved = len(lines) - len(old)
    # The last restart above the edit, its own line unchanged (it ended the block above it), and
    # the restarts below it with their lines unchanged: blocks of the top level, or items of a list
    # that begins in what is read (the one the restart above is an item of, or one below it).
    above = next((r for r in reversed(before.restarts) if r[0] < same_start
                  and not _open_math(lines, 0, r[0], before.unmatched)), None)
    if above is None:
        return None  # the edit reaches the file's first block (front matter among them): read it whole
    start, first, in_list = above
    unchanged = len(old) - same_end
    below = [
        r for r in before.restarts
        if (r[2] < 0 and in_list < 0 and r[0] - 1 >= unchanged)
        or (r[2] >= 0 and r[0] >= unchanged and (r[2] == in_list or in_list < 0 and first <= r[2]))
    ]
    for line, index, into in [*below[:_TRIES], (None, 0, -1)]:
        end = None if line is None else line + moved  # the restart's line in the new text
        tokens = _splice(before, lines, start, first, in_list, end, index, into, moved)
        if tokens is None:
            return None
        if tokens is not _AGAIN:
            old_from = index if end is not None else len(before.tokens)
            spliced = (first, len(tokens) - (len(before.tokens) - old_from), old_from)
            return tokens, (start, len(lines) if end is None else end, moved), spliced
    return None


_AGAIN = object()
"""_splice's answer when the restart below was not one after the edit: the next is tried."""
_LISTS = ("bullet_list_open", "ordered_list_open")


def _splice(before: Tokenised, lines: list[str], start: int, first: int, in_list: int, end: int | None,
            index: int, into: int, moved: int):
    """The new file's tokens: the old ones before `first` (the restart above, at line `start`),
    lines[start:end] read again, and the old ones from `index` (the restart below, at line `end`
    of the new text; None: none, read to the end) on. `in_list` and `into` are the old tokens'
    indexes of the lists the restarts above and below are items of, or -1. _AGAIN to try the
    next restart below, None to read the file whole."""
    reach = len(lines) if end is None else min(len(lines), end + 2)  # a table above looks one line on
    part = _read(lines, start, reach)
    if part is not None and end is not None and _open_math(
            lines, start, end, frozenset(n + start for n in _unmatched(lines[start:reach], part))):
        part = _read(lines, start, _math_end(lines, end))
    if not part or part[0].type == "front_matter":
        return None  # or a `---` block read as front matter: the whole file knows better
    # The read lines' tokens down to the restart below.
    if end is None:
        cut = len(part)
    else:
        cut = next((i for i, t in enumerate(part) if t.nesting != -1 and t.map and t.map[0] == end - start
                    and (t.level == 0 if into < 0 else t.level == 1 and t.type == "list_item_open")), None)
        if cut is None:
            return _AGAIN  # the edit runs on into that block: try the next restart
    # The list the items read again belong to, as read (its opening token there) and as it was.
    opened, mine = -1, in_list if in_list >= 0 else into
    if in_list >= 0:
        opened = 0  # the lines read begin with an item of it: they read as a list of their own
    elif into >= 0:
        opened = max(i for i in range(cut) if part[i].level == 0 and part[i].nesting == 1)
    if opened >= 0:
        old_list = before.tokens[mine]
        stop = next((i for i in range(opened + 1, len(part)) if part[i].level == 0), len(part))
        if end is not None and stop < cut:
            return _AGAIN  # the list read ends above the restart: it is not the restart's list
        if (part[opened].type, part[opened].markup, _marks(part[opened])) != (old_list.type, old_list.markup, _marks(old_list)):
            return None  # another list, or one whose class (a task list) the old or the new items gave it
        # Its paragraphs are shown or hidden for all its items at once (a loose list shows them):
        # the old items and the new ones must agree, or the list be loose whatever the new ones are.
        old_tight, new_tight = _tight(before.tokens, mine), _tight(part[:cut], opened)
        if not _agree(old_tight, new_tight):
            if old_tight is not False or not _loose_without(before, mine, start, None if end is None else end - moved):
                return None
            _show_paragraphs(part, opened, stop)  # as the loose list's other items show theirs
    middle = part[1:cut] if in_list >= 0 else part[:cut]
    after = before.tokens[index:] if end is not None else []
    _move(middle, start)
    if moved:
        _move(after, moved)
    if opened >= 0 and end is not None:  # the list ends where it ended, moved
        keeps = old_list if in_list >= 0 else part[opened]
        keeps.map = [keeps.map[0], old_list.map[1] + moved]
    elif in_list >= 0:  # read to the end: the list ends where the lines read say
        old_list.map = [old_list.map[0], part[0].map[1] + start]
    return [*before.tokens[:first], *middle, *after]


def _read(lines: Sequence[str], start: int, stop: int) -> list[Token] | None:
    """markdown-it's tokens of lines[start:stop] read as a file; None if what they hold (link
    reference definitions, footnotes) reaches the whole file."""
    text = "\n".join(lines[start:stop])
    if "]:" in text:
        return None  # a link reference definition may be in it
    env: dict = {}
    part = markdown().parse(text, env)
    return None if _collected(env) else part


# A `$$` where a block may begin: after any indent, quote marks and list markers.
_DOLLARS = re.compile(r"(?:[ \t>]|[-*+][ \t]|\d{1,9}[.)][ \t])*\$\$")


def _unmatched(lines: Sequence[str], tokens: Sequence[Token]) -> frozenset[int]:
    """The lines where markdown-it looked for a `$$` block and found none: blocks of another kind
    that begin with `$$` (a `$$` inside a paragraph is never looked at)."""
    # The lines that could be one first (most hold no `$$`), then the blocks that begin there.
    maybe = {n for n, line in enumerate(lines) if "$$" in line and _DOLLARS.match(line)}
    if not maybe:
        return frozenset()
    return frozenset(
        t.map[0] for t in tokens
        if t.map and t.map[0] in maybe and t.nesting != -1 and not t.type.startswith("math_block")
    )


def _open_math(lines: Sequence[str], start: int, end: int, unmatched: frozenset[int]) -> bool:
    """Whether markdown-it, looking for a `$$` block's end from a line in [start, end), read on to
    line `end`: then an edit there may give it an end, and the block above is another.

    It looks down to the first line ending in `$$` or the first blank line, across items and
    indents, and makes no block if it finds none (dollarmath's rule)."""
    for n in range(end - 1, start - 1, -1):
        if n in unmatched:
            return True
        text = lines[n].strip()
        if not text or text.endswith("$$"):
            return False
    return False


def _math_end(lines: Sequence[str], end: int) -> int:
    """Past where a `$$` block left open above line `end` stops looking for its end."""
    stop = end
    while stop < len(lines) and lines[stop].strip() and not lines[stop].strip().endswith("$$"):
        stop += 1
    return min(len(lines), max(end + 2, stop + 1))


def _marks(opened: Token) -> dict:
    """What a list's items put on the list itself (GFM's task-list class): all of its attributes
    but the number it starts at, which is its first item's."""
    return {name: value for name, value in opened.attrs.items() if name != "start"}


def _tight(tokens: Sequence[Token], opened: int) -> bool | None:
    """Whether the paragraphs of the list opened at `opened` are hidden (a tight list's are); None
    if it has none."""
    level = tokens[opened].level
    for token in tokens[opened + 1:]:
        if token.level == level:
            break  # its end
        if token.type == "paragraph_open" and token.level == level + 2:
            return token.hidden
    return None


def _loose_without(before: Tokenised, opened: int, start: int, end: int | None) -> bool:
    """Whether the list opened at `before.tokens[opened]` is loose whatever its items read again
    (from line `start` to the old line `end`) are: a blank line ends one of its items where
    another follows, both above `start` (the item at `start` may be the one that follows) or both
    from `end` on. Those lines and tokens are kept as they were, so the list stays loose."""
    lines, tokens = before.lines, before.tokens
    level, first = tokens[opened].level, tokens[opened].map[0]
    for token in tokens[opened + 1:]:
        if token.level <= level:
            break  # the list's end
        if token.type == "list_item_open" and token.level == level + 1:
            line = token.map[0]
            if line > first and (line <= start or end is not None and line > end) and _BLANK.fullmatch(lines[line - 1]):
                return True
    return False


def _show_paragraphs(tokens: Sequence[Token], opened: int, stop: int) -> None:
    """Show the paragraphs of the items of the list opened at `opened` (up to `stop`), as
    markdown-it shows a loose list's: those a tight list hid."""
    level = tokens[opened].level + 2
    for token in tokens[opened + 1:stop]:
        if token.level == level and token.type in ("paragraph_open", "paragraph_close"):
            token.hidden = False


def _agree(old: bool | None, new: bool | None) -> bool:
    """Whether the old items' and the new items' paragraphs are shown alike in the one list they
    make: a tight list stays tight only if every item is, and a loose one is loose from one."""
    return old == new or (old is None and new is False)


def _move(tokens: Sequence[Token], lines: int) -> None:
    """Move block tokens down by `lines` (their inline parts carry no lines)."""
    for token in tokens:
        if token.map is not None:
            token.map = [token.map[0] + lines, token.map[1] + lines]
