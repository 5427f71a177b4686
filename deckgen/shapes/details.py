"""Details shape: `<details><summary>question</summary>` with the answer inside -> Questions.

Blocks are found in the source text, not per markdown block: authors often write one toggle
after another with no blank line between, which markdown reads as a single HTML block.
"""

from __future__ import annotations

import bisect
import html
import re
from functools import lru_cache

from deckgen.markdown import markdown
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import inline_text_of, question_tokens, trim_rules
from deckgen.tree import Node

_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.I)
_DETAILS_TAG = re.compile(r"<(/?)details\b[^>]*>", re.I)
_SUMMARY = re.compile(r"\s*<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)
_MARKDOWN_DIV = re.compile(r"^\s*<div\b[^>]*>\s*$|^\s*</div>\s*$", re.I | re.M)
_CODE = re.compile(r"<code\b[^>]*>(.*?)</code\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]*\n[ \t]*|[ \t]+")


def details_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list,
                      parent: Question | None = None, floor: int = 0,
                      spans: list[tuple[int, int]] | None = None) -> list[Question]:
    """Questions in `<details><summary>question</summary> answer </details>` blocks.

    `floor` is the text offset to search from; `spans` collects the line span of each block.
    """
    if not any(n.type == "html_block" and "<details" in n.content.lower() for n in nodes):
        return []
    reading.looked += 1  # a block runs to its `</details>`, wherever that is in the text
    text = reading.source.text
    starts = _line_starts(text)
    found: list[Question] = []
    resume = floor  # text offset already consumed by an earlier block
    for i, node in enumerate(nodes):
        if node.type != "html_block" or not node.map or "<details" not in node.content.lower():
            continue
        pos = max(starts[node.map[0]], resume)
        limit = starts[min(node.map[1], len(starts) - 1)]
        while (opening := _DETAILS_OPEN.search(text, pos)) is not None and opening.start() < limit:
            close = _matching_close(text, opening.start())
            if close is None:
                warnings.append((_line_of(starts, opening.start()),
                                 "<details> is never closed with </details>; it runs to the end of the file"))
                close = (len(text), len(text))
            made = _details_question(text, starts, opening, close[0], reading, parent, warnings)
            if spans is not None:
                spans.append((_line_of(starts, opening.start()), _line_of(starts, close[1]) + 1))
            if made:
                if paths and made[0].parent is None:
                    made[0].sections = paths[i]
                found.extend(made)
            pos = resume = close[1]
    return found


@lru_cache(maxsize=4)  # one file's, asked for by every stretch and answer of it
def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def _matching_close(text: str, start: int) -> tuple[int, int] | None:
    """Return (start, end) of the `</details>` that closes the block opened at `start`."""
    depth = 0
    for m in _DETAILS_TAG.finditer(text, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.start(), m.end()
    return None


def _details_question(text, starts, opening, close, reading, parent, warnings) -> list[Question]:
    """Make the question of one details block and those nested in it."""
    first = _line_of(starts, opening.start())
    summary = _SUMMARY.match(text, opening.end(), close)
    if summary is None:
        warnings.append((first, "<details> without a <summary> is not a question; skipped"))
        return []
    env = reading.env
    line = _line_of(starts, summary.start(1))
    inline, extra = _summary(summary.group(1), env, line)
    tokens, _ = question_tokens(inline)
    q_text = inline_text_of(tokens)
    key = q_text if parent is None else f"{parent.key}/{q_text}"
    q = Question(inline=tokens, line=line, blocks=[], parent=parent, key=key, extra=extra)
    body = _MARKDOWN_DIV.sub("", text[summary.end():close])
    offset = _line_of(starts, summary.end()) - 1
    tokens_ = markdown().parse("\n" + body, env)
    for t in tokens_:
        if t.map:
            t.map = [t.map[0] + offset, t.map[1] + offset]
    inner = Node(tokens_)
    spans: list[tuple[int, int]] = []
    nested = details_questions(inner.children, reading, [], warnings, parent=q, floor=summary.end(),
                               spans=spans)
    q.children = [n for n in nested if n.parent is q]
    q.blocks = trim_rules([
        n for n in inner.children if not any(a <= n.map[0] < b for a, b in spans)
    ])
    return [q, *nested]


def _summary(raw: str, env: dict, line: int) -> tuple[list, list[Node]]:
    """Read a summary as the reader sees it: its first paragraph is the question; code or a list
    written inside the summary (a script to explain) is shown under it."""
    marked = _CODE.sub(lambda m: _code_span(_TAG.sub("", m.group(1))), raw)
    plain = _TAG.sub("", marked).strip("\n")
    tokens = markdown().parse(plain, env)
    for t in tokens:
        if t.map:
            t.map = [t.map[0] + line, t.map[1] + line]
    blocks = Node(tokens).children
    if blocks and blocks[0].type == "paragraph":
        inline = list(blocks[0].children[0].token.children or [])
        return inline, blocks[1:]
    words = _SPACES.sub(" ", plain).strip()
    return list(markdown().parseInline(words, env)[0].children or []), blocks


def _code_span(code: str) -> str:
    """Write HTML `<code>` as a markdown code span, so `$@` inside it never becomes math."""
    code = html.unescape(code)
    run = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * (run + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"
