"""Details shape: `<details><summary>question</summary>` with a markdown answer inside -> Questions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deckgen.markdown import markdown
from deckgen.shapes.common import inline_text_of, question_tokens, section_paths, trim_rules
from deckgen.tree import Node

if TYPE_CHECKING:
    from deckgen.parse import Parser, Question

_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
_SUMMARY = re.compile(r"\s*<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)
_MARKDOWN_DIV = re.compile(r"^\s*<div\b[^>]*>\s*$|^\s*</div>\s*$", re.I | re.M)
_TAG = re.compile(r"<[^>]+>")


def details_questions(root: Node, parser: Parser, warnings: list) -> list[Question]:
    """Questions in `<details><summary>question</summary> answer </details>` blocks."""
    lines = parser.source.text.split("\n")
    paths = section_paths(root.children, getattr(parser, "title", ""))
    return _details_in(root.children, lines, parser, None, warnings, paths)


def _details_in(nodes, lines, parser, parent, warnings, paths=None) -> list[Question]:
    found: list[Question] = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if node.type != "html_block" or not node.content.lstrip().lower().startswith("<details"):
            i += 1
            continue
        depth, j = 0, i
        while j < len(nodes):
            if nodes[j].type == "html_block":
                content = nodes[j].content
                depth += len(_DETAILS_OPEN.findall(content)) - len(_DETAILS_CLOSE.findall(content))
                if depth <= 0:
                    break
            j += 1
        if j == len(nodes):
            warnings.append((node.map[0], "<details> is never closed with </details>; it runs to the end of the file"))
            j = len(nodes) - 1
        made = _details_question(lines, node.map[0], nodes[j].map[1], parser, parent, warnings)
        if made:
            if paths is not None and made[0].parent is None:
                made[0].sections = paths[i]
            found.extend(made)
        i = j + 1
    return found


def _details_question(lines, first, last, parser, parent, warnings) -> list[Question]:
    """Make the question of one details block (lines first..last) and those nested in it."""
    from deckgen.parse import Question

    text = "\n".join(lines[first:last])
    opening = _DETAILS_OPEN.search(text)
    summary = _SUMMARY.match(text, opening.end()) if opening else None
    if summary is None:
        warnings.append((first, "<details> without a <summary> is not a question; skipped"))
        return []
    close = max((m.start() for m in _DETAILS_CLOSE.finditer(text)), default=len(text))
    words = re.sub(r"\s+", " ", _TAG.sub("", summary.group(1))).strip()
    env = parser.env
    inline = markdown().parseInline(words, env)[0].children or []
    tokens, _ = question_tokens(inline)
    q_text = inline_text_of(tokens)
    line = first + text.count("\n", 0, summary.start(1))
    key = q_text if parent is None else f"{parent.key}/{q_text}"
    q = Question(inline=tokens, line=line, blocks=[], parent=parent, key=key)
    body_start = summary.end()
    body = _MARKDOWN_DIV.sub("", text[body_start:close])
    offset = first + text.count("\n", 0, body_start) - 1
    tokens_ = markdown().parse("\n" + body, env)
    for t in tokens_:
        if t.map:
            t.map = [t.map[0] + offset, t.map[1] + offset]
    inner = Node(tokens_)
    nested = _details_in(inner.children, lines, parser, q, warnings)
    q.children = [n for n in nested if n.parent is q]
    nested_lines = [(n_first, n_last) for n_first, n_last in _details_spans(inner.children)]
    q.blocks = trim_rules([
        n for n in inner.children
        if not any(a <= n.map[0] < b for a, b in nested_lines)
    ])
    return [q, *nested]


def _details_spans(nodes) -> list[tuple[int, int]]:
    """Line spans of the details blocks among nodes (nested ones, to leave out of an answer)."""
    spans = []
    depth, start = 0, None
    for node in nodes:
        if node.type == "html_block":
            opens = len(_DETAILS_OPEN.findall(node.content))
            closes = len(_DETAILS_CLOSE.findall(node.content))
            if depth == 0 and opens:
                start = node.map[0]
            depth += opens - closes
            if start is not None and depth <= 0:
                spans.append((start, node.map[1]))
                start, depth = None, 0
    if start is not None:
        spans.append((start, 1 << 30))
    return spans
