"""Details shape: `<details><summary>question</summary>` with the answer inside -> Questions.

Blocks are found in the source text, not per markdown block: authors often write one toggle
after another with no blank line between, which markdown reads as a single HTML block.
"""

from __future__ import annotations

import bisect
import html
import re
import textwrap
from functools import lru_cache

from deckgen.markdown import markdown
from deckgen.shapes.base import Question, Reading
from deckgen.references import fold_label
from deckgen.shapes.common import asks, inline_text_of, paragraph, question_tokens, trim_rules
from deckgen.shapes.headings import heading_question
from deckgen.tree import Node

_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
_DETAILS_TAG = re.compile(r"<(/?)details\b[^>]*>", re.I)
# A `<summary>`, after any line breaks (`</br>`) written before it.
_SUMMARY = re.compile(r"(?:\s|<\s*/?\s*br\s*/?\s*>)*<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)
_MARKDOWN_DIV = re.compile(r"^\s*<div\b[^>]*>\s*$|^\s*</div>\s*$", re.I | re.M)
_CODE = re.compile(r"<code\b[^>]*>(.*?)</code\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]*\n[ \t]*|[ \t]+")
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")


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
        limit = starts[node.map[1]] if node.map[1] < len(starts) else len(text)  # the last line has no newline
        while (opening := _DETAILS_OPEN.search(text, pos)) is not None and opening.start() < limit:
            close = _matching_close(text, opening.start())
            if close is None:
                warnings.append((_line_of(starts, opening.start()),
                                 "<details> is never closed with </details>; it runs to the end of the file"))
                close = (len(text), len(text))
            reveal = _reveals(text, opening, close[0])
            asked = _asked_above(nodes, i, text, opening) if reveal else None
            if (reveal and asked is None) or _hints(text, opening, close[0]):
                made = []  # "정답 보기" under no question, or a hint: neither names a question
            else:
                made = _details_question(text, starts, opening, close[0], reading, parent, warnings, asked)
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


def _details_question(text, starts, opening, close, reading, parent, warnings,
                      asked: tuple[list, int] | None = None) -> list[Question]:
    """Make the question of one details block and those nested in it; `asked`: the question's
    tokens and line where the paragraph above the block asks it (the block only reveals the
    answer)."""
    first = _line_of(starts, opening.start())
    summary = _SUMMARY.match(text, opening.end(), close)
    if summary is None:
        warnings.append((first, "<details> without a <summary> is not a question; skipped"))
        return []
    env = reading.env
    if asked is None and _FOLLOW_UP.fullmatch(_summary_label(text, opening, close)):
        # `<summary>꼬리 질문</summary>`: the follow-up is asked inside, above the toggle that
        # shows its answer; it is the parent's question as much as the one above it.
        inner = _body(text, starts, opening.start(), summary, close, env)
        return details_questions(inner.children, reading, [], warnings, parent=parent, floor=summary.end())
    if asked is None:
        line = _line_of(starts, summary.start(1))
        inline, extra = _summary(summary.group(1), env, line)
        tokens, _ = question_tokens(inline)
    else:
        (tokens, line), extra = asked, []
    q_text = inline_text_of(tokens)
    key = q_text if parent is None else f"{parent.key}/{q_text}"
    q = Question(inline=tokens, line=line, blocks=[], parent=parent, key=key, extra=extra)
    inner = _body(text, starts, opening.start(), summary, close, env)
    spans: list[tuple[int, int]] = []
    nested = details_questions(inner.children, reading, [], warnings, parent=q, floor=summary.end(),
                               spans=spans)
    q.children = [n for n in nested if n.parent is q]
    q.blocks = trim_rules([
        n for n in inner.children if not any(a <= n.map[0] < b for a, b in spans)
    ])
    if asked is None and not q.children and not asks(q_text) and any(
            n.type == "heading" and heading_question(n) is not None for n in q.blocks):
        return []  # a topic that folds away its questions, each a heading of the file's own
    return [q, *nested]


def _body(text: str, starts: list[int], at: int, summary: re.Match, close: int, env: dict) -> Node:
    """The blocks of a toggle's body (the toggle opened at offset `at`), read as markdown, at
    their lines in the file."""
    body = _from_the_margin(_MARKDOWN_DIV.sub("", text[summary.end():close]), _item_column(text, starts, at))
    offset = _line_of(starts, summary.end()) - 1
    tokens = markdown().parse("\n" + body, env)
    for t in tokens:
        if t.map:
            t.map = [t.map[0] + offset, t.map[1] + offset]
    return Node(tokens)


# A summary that only offers to show what the toggle hides ("정답 보기", "Show answer"): the
# question is the text above the toggle, which holds its answer. Matched folded (see fold_label).
_REVEAL = re.compile(
    r"(?:(?:상세|자세한|자세히|예시|모범|예상)?(?:정답|답|답변|답안|해설|풀이|설명|해답)(?:보기|확인|확인하기|펼치기|열기|보이기)?"
    r"|보기|펼치기|펼쳐보기|더보기|열기|클릭|눌러보기|클릭해서확인|확인하기"
    r"|(?:(?:show|see|view|reveal|toggle|check|clickto(?:show|see|view|reveal))(?:the|my)?)?"
    r"(?:answers?|ans|solutions?|explanations?)"
    r"|click(?:here|toexpand|toopen)?|expand)"
)


# A summary that only says a follow-up question is inside ("꼬리 질문", "Follow-up").
_FOLLOW_UP = re.compile(r"(?:꼬리|추가|심화|후속|연계|연관)질문(?:보기)?|follow-?ups?(?:questions?)?")


# A summary that offers a hint: an aside to the question above, neither a question nor its answer.
_HINT = re.compile(r"(?:힌트|hints?|tips?)(?:보기)?")


def _summary_label(text: str, opening: re.Match, close: int) -> str:
    """A toggle's summary as plain text, folded (see fold_label); "" if it has none."""
    summary = _SUMMARY.match(text, opening.end(), close)
    return fold_label(html.unescape(_TAG.sub("", summary.group(1)))) if summary is not None else ""


def _hints(text: str, opening: re.Match, close: int) -> bool:
    """Whether a toggle's summary only offers a hint (see _HINT)."""
    return _HINT.fullmatch(_summary_label(text, opening, close)) is not None


@lru_cache(maxsize=4)
def _hint_lines(text: str) -> frozenset[int]:
    """The lines of the file's hint toggles (see _HINT)."""
    starts = _line_starts(text)
    lines: set[int] = set()
    for opening in _DETAILS_OPEN.finditer(text):
        close = _matching_close(text, opening.start())
        if close is not None and _hints(text, opening, close[0]):
            lines.update(range(_line_of(starts, opening.start()), _line_of(starts, close[1]) + 1))
    return frozenset(lines)


def _reveals(text: str, opening: re.Match, close: int) -> bool:
    """Whether a toggle's summary only offers to show its answer (see _REVEAL), or says nothing
    at all (`<summary></summary>`: the page offers "Details")."""
    label = _summary_label(text, opening, close)
    return _REVEAL.fullmatch(label) is not None or (not label and _SUMMARY.match(text, opening.end(), close) is not None)


def _opening(node: Node, text: str) -> tuple[re.Match, tuple[int, int]] | None:
    """The `<details>` an HTML block begins with and where its `</details>` is, if it is closed."""
    if node.type != "html_block" or not node.map or not _DETAILS_OPEN.match(node.content.lstrip()):
        return None
    starts = _line_starts(text)
    line_end = starts[node.map[0] + 1] if node.map[0] + 1 < len(starts) else len(text)
    opening = _DETAILS_OPEN.search(text, starts[node.map[0]], line_end)
    if opening is None:
        return None
    close = _matching_close(text, opening.start())
    return (opening, close) if close is not None else None


def reveals_answer(node: Node, text: str) -> bool:
    """Whether a block opens a toggle that only offers to show an answer (see _REVEAL)."""
    found = _opening(node, text)
    return found is not None and _reveals(text, found[0], found[1][0])


def _asked_above(nodes: list[Node], i: int, text: str, opening: re.Match) -> tuple[list, int] | None:
    """The question a reveal toggle answers: the paragraph right above it, if the toggle begins
    its block (one after another in the same block answers nothing above)."""
    found = _opening(nodes[i], text)
    if found is None or found[0].start() != opening.start():
        return None
    hints = _hint_lines(text) if "<details" in text[:opening.start()].lower() else frozenset()
    k = i - 1
    while k >= 0 and nodes[k].map and set(range(*nodes[k].map)) <= hints:
        k -= 1  # a hint toggle between the question and its answer
    if k < 0 or not nodes[k].map:
        return None
    if nodes[k].type == "html_block":
        tail = after_the_toggle(nodes[k], text)
        if tail is None:
            return None
        tokens, _ = question_tokens(list(tail.children[0].token.children or []))
        return (tokens, tail.map[0]) if inline_text_of(tokens) else None
    if nodes[k].type == "code_block" and 0 < len(lines := nodes[k].token.content.strip().splitlines()) <= 2:
        # A question indented with a tab, which the page shows as a line of code, above "ANS";
        # code that does not ask is what a question above it asks about.
        tokens = _inline(" ".join(line.strip() for line in lines), {})
        return (tokens, nodes[k].map[0]) if asks(inline_text_of(tokens)) else None
    if nodes[k].type != "paragraph":
        return None
    above = nodes[k]
    tokens, _ = question_tokens(list(above.children[0].token.children or []))
    return (tokens, above.map[0]) if inline_text_of(tokens) else None


def after_the_toggle(node: Node, text: str) -> Node | None:
    """The text written on the lines right after a `</details>` in the HTML block it closes (no
    blank line between: markdown reads them into that block, the page shows them as text), as
    a paragraph of its own, when it is text, not markup; None otherwise."""
    starts = _line_starts(text)
    block = text[starts[node.map[0]]:starts[node.map[1]] if node.map[1] < len(starts) else len(text)]
    close = next(reversed(list(_DETAILS_CLOSE.finditer(block))), None)  # the block's last
    if close is None:
        return None
    rest = block[close.end():]
    if not rest.strip() or "<" in rest:
        return None
    line = _line_of(starts, starts[node.map[0]] + close.end() + len(rest) - len(rest.lstrip()))
    return paragraph(_inline(_SPACES.sub(" ", rest).strip(), {}), line)


def revealed(blocks: list[Node], reading: Reading) -> list[Node]:
    """An answer whose first block is a toggle that only offers to show it ("정답 보기"): the
    toggle's body in its place, as the card's back shows the answer anyway; else `blocks`."""
    text = reading.source.text
    found = _opening(blocks[0], text) if blocks else None
    if found is None or not _reveals(text, found[0], found[1][0]):
        return blocks
    reading.looked += 1  # what the answer holds is read from the file's text
    (opening, close), starts = found, _line_starts(text)
    summary = _SUMMARY.match(text, opening.end(), close[0])
    end_line = _line_of(starts, close[1]) + 1
    inner = _body(text, starts, opening.start(), summary, close[0], reading.env).children
    return [*inner, *(b for b in blocks[1:] if b.map and b.map[0] >= end_line)]


def answer_interiors(nodes: list[Node], text: str) -> set[int]:
    """The indices of the blocks inside a toggle that only offers to show an answer ("정답
    보기") which markdown read as blocks of the file's own (its `<details>` and `</details>` in
    HTML blocks with blank lines between): a heading there is part of that answer, not a
    section of the file. A toggle named otherwise may hold sections of the file."""
    inside: set[int] = set()
    starts = _line_starts(text)
    last = -1  # the last line of the toggle read
    for i, node in enumerate(nodes):
        if not node.map or node.map[0] <= last:
            if node.map and node.map[0] < last:
                inside.add(i)
            continue
        found = _opening(node, text)
        if found is not None and _reveals(text, found[0], found[1][0]):
            last = _line_of(starts, found[1][0])
    return inside


def _from_the_margin(body: str, column: int = 0) -> str:
    """A toggle's text with the lines up to its first blank line moved to the left margin, and
    those after it moved left by `column` (the list item the toggle stands in begins its text
    there; see _item_column).

    The lines up to the blank line are the HTML block its `<details>` opened: the page shows them
    as HTML, and how far they are indented shows nothing (a toggle indented under a heading, its
    `<p>` further in). Read again as markdown where they stand, four spaces in, they would be
    code. The lines after a blank line are markdown on the page too, read as the list item's
    text: four spaces in from where the item's text begins, and only then, they are code."""
    blank = _BLANK_LINE.search(body)
    head, rest = (body[:blank.start()], body[blank.start():]) if blank else (body, "")
    if column and rest:
        rest = re.sub(rf"(?m)^ {{1,{column}}}", "", rest)
    return textwrap.dedent(head) + rest


# A list item's first line: its marker, and the spaces after it (1-4 of them are the item's; with
# more, its text begins one space after the marker, as markdown reads it).
_ITEM_LINE = re.compile(r"( *)([-+*]|\d{1,9}[.)])( +|$)")


def _item_column(text: str, starts: list[int], at: int) -> int:
    """The column where the text of the list item holding the toggle opened at offset `at`
    begins: the item is the nearest above (or on its line) whose text begins no further right
    than the toggle; 0 where the toggle is in no list item (a line at the margin that is no item
    stands between)."""
    line = _line_of(starts, at)
    before = text[starts[line]:at]
    indent = len(before)
    if before.strip():  # the item's first line: `- <details>`
        found = _ITEM_LINE.match(before)
        return _text_column(found) if found is not None else 0
    for k in range(line - 1, -1, -1):
        row = text[starts[k]:starts[k + 1] if k + 1 < len(starts) else len(text)].rstrip("\r\n")
        if not row.strip():
            continue
        found = _ITEM_LINE.match(row)
        if found is not None and _text_column(found) <= indent:
            return _text_column(found)
        if found is None and not row.startswith(" "):
            return 0
    return 0


def _text_column(item: re.Match) -> int:
    spaces = len(item.group(3))
    return len(item.group(1)) + len(item.group(2)) + (spaces if 1 <= spaces <= 4 else 1)


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
    if len(blocks) == 1 and _numbered_line(blocks[0]):
        blocks = []  # `1. question`: the question's own number, not a list under it
    return _inline(words, env), blocks


def _inline(text: str, env: dict) -> list:
    """The inline tokens of a line of text read as markdown (a summary, or a question written
    where markdown does not read it as a paragraph)."""
    return list(markdown().parseInline(text, env)[0].children or [])


def _numbered_line(node: Node) -> bool:
    """Whether a block is one list item of one paragraph: a numbered (or bulleted) line."""
    return (node.type in ("ordered_list", "bullet_list") and len(node.children) == 1
            and len(node.children[0].children) == 1 and node.children[0].children[0].type == "paragraph")


def _code_span(code: str) -> str:
    """Write HTML `<code>` as a markdown code span, so `$@` inside it never becomes math."""
    code = html.unescape(code)
    run = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * (run + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"
