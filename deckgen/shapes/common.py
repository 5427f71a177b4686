"""Helpers every shape shares: whether text asks, question markers, answer blocks, section paths."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it.token import Token

from deckgen.markdown import inline_text
from deckgen.tree import Node

# Endings that ask only as much as a topic does ("스택과 큐의 차이", "인덱스를 쓰는 이유"): a heading
# so worded is a topic when questions stand under it (see asks_weakly).
_WEAK_ENDINGS = r"[는은던한된인운진난]\s?이유|의\s?차이(?:점)?"
_WEAK = re.compile(r"(?:" + _WEAK_ENDINGS + r")$")
# A heading or list item asks when it ends with a question mark or a Korean question or request
# ending. Endings that ordinary section titles also have (평가, 추가, 혼란 ...) are kept out.
_ASKS = re.compile(
    r"(?:[?？]"
    r"|나요|가요|까요|[^아가]까|니까|[인는은던른한]가|뭔가|무엇|뭘까|뭐죠|왜죠|뭐예요|뭐에요|뭔지|무엇인지"
    r"|(?<![혼반계파노내전])란"
    r"|[은는]"
    r"|[가-힣]냐|궁금(?:합니다|해요|하다|함)|" + _WEAK_ENDINGS +
    r"|(?:해|려|어|워|줘|써|봐)\s?(?:주세요|주십시오|주시겠어요|보세요|볼래요|줄래요?)"
    r"|[가-힣]시오|[가-힣]보세요|(?:설명|서술|비교|기술|정의|논|말)하(?:세요|라)|(?:[는은인]|했는|하는)지"
    r"|(?:해|어|여|워|줘)\s?달라|해\s?줘"
    r")$"
)
# English asks at its start: a question word, or a verb that sets a task ("Explain X").
_ASKS_EN = re.compile(
    r"^(?:(?:what|why|how|when|where|which|who|whom|whose)(?!\s*[:：.]?\s*$)"  # not a label: "**Why:**"
    r"|(?:explain|describe|define|compare|contrast|discuss|illustrate|elaborate|summari[sz]e|differentiate"
    r"|distinguish)(?!\s*(?:\d+\s*)?[:：=])"  # not a label: "Contrast 1: Name = positive"
    r"|(?:write|give|list|name|show|tell|state|implement|design|calculate|derive|prove|suggest"
    r"|find|identify|mention|select|count|sort|retrieve|fetch|display|print|compute|determine|estimate|solve|rank"
    r"|convert|reverse)\s+(?:a|an|the|me|us|how|what|why|which|your|some|all|every|each|any|two|three|that|\d"
    r"|first|second|third|nth|last|top|duplicates?|highest|lowest|largest|smallest|max(?:imum)?|min(?:imum)?)"
    r"|(?:is|are|do|does|did|can|could|should|would|will|have|has)\s+\S+\s+\S+"
    r")\b",
    re.I,
)
# English that asks only as a topic does ("Difference between WHERE and HAVING"), as _WEAK_ENDINGS.
_WEAK_EN = re.compile(r"^(?:the\s+)?differences?\s+between\s", re.I)
# A leading number the author wrote as a sign: "1️⃣", "②".
_LEAD_SIGN = re.compile(r"^(?:[0-9#*]\ufe0f?\u20e3|[\u2460-\u2473\u2776-\u277f\u24ea])\s*")
# A trailing aside: "(기출)", "…", "*****" importance marks, or a ✅ / ❎ / 🔥 the author added.
# A leading tag: a difficulty or source mark such as "[E]", "[M]", "(기출)".
_LEAD_TAG = re.compile(r"^(?:[\[(][^\[\]()]{1,10}[\])]\s*)+")
_TRAILING = re.compile(
    r"(?:\s*[(\[][^()\[\]]*[)\]]|\s*[.!~…*]+|\s*[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200d]+|\s+)$"
)
Q_MARKER = re.compile(r"^\s*(?:(?:Q|질문)\s*(?:\d+(?:[-.]\d+)*\s*)?[.:)：]|Q\d+(?:[-.]\d+)*(?=\s))\s*")
A_MARKER = re.compile(r"^\s*(?:(?:A|Ans|답|답변)\s*(?:\d+(?:[-.]\d+)*\s*)?[.:)：]|A\d+(?:[-.]\d+)*(?=\s))\s*")
# The same spelled out ("Question 3:", "ANSWER:", a quiz's "2번."): a Q&A line's label, read by
# the Q&A shape and left out of an answer. A heading or a bold question keeps such a word as it always had.
QUESTION_WORD = re.compile(r"^\s*(?:(?:question|문제)\s*(?:\d+(?:[-.]\d+)*\s*)?|\d+\s*번\s*)[.:)：]\s*", re.I)
ANSWER_WORD = re.compile(
    r"^\s*(?:(?:(?:sample|model|example|short|brief|suggested|예시|모범|예상)\s*)?(?:answer|답변|답안)|정답|해설)"
    r"\s*(?:\d+(?:[-.]\d+)*\s*)?[.:)：]\s*", re.I)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*[.)]\s+")


@lru_cache(maxsize=4096)
def asks(text: str) -> bool:
    """Tell whether a heading's or list item's text is a question or a request to explain.

    A trailing aside does not count: "스택이란? (기출)" and "설명해 주세요." both ask. Each finder
    asks of the same lines, so answers are kept.
    """
    text = _LEAD_SIGN.sub("", _LEAD_TAG.sub("", text.strip()))
    return bool(_ASKS_EN.match(text) or _WEAK_EN.match(text)) or _ends_asking(text)


def asks_by_its_ending(text: str) -> bool:
    """Whether a text asks by how it ends: a question mark, or a Korean question or request
    ending ("설명하시오"); English words that open a question ("Should be x=2") do not count."""
    return _ends_asking(_LEAD_TAG.sub("", text.strip()))


def _ends_asking(text: str) -> bool:
    return any(len(end) > 1 and _ASKS.search(end) for end in _without_asides(text))


def asks_weakly(text: str) -> bool:
    """Whether a text asks only by an ending a topic has too (see _WEAK_ENDINGS)."""
    text = _LEAD_SIGN.sub("", _LEAD_TAG.sub("", text.strip()))
    return bool(_WEAK_EN.match(text)) or any(_WEAK.search(end) for end in _without_asides(text))


def _without_asides(text: str):
    """The text, then the text with one trailing aside after another taken off (at most three)."""
    yield text
    for _ in range(3):
        trimmed = _TRAILING.sub("", text)
        if trimmed == text:
            return
        text = trimmed
        yield text


def looks_like_anchor(text: str) -> bool:
    """Tell whether a heading only names an answer section: `#12`, `12-1`, `# 3.2`."""
    return bool(re.fullmatch(r"#?\s*\d+(?:[-.]\d+)*", text.strip()))


def _blank(token: Token) -> bool:
    """Tell whether an inline token shows nothing: blank text or a line break."""
    return token.type in ("text", "softbreak", "hardbreak") and not token.content.strip()


def _starts_with_link(children: list[Token]) -> bool:
    """Tell whether the first thing an inline run shows is a link."""
    for c in children:
        if c.type == "link_open":
            return True
        if not _blank(c):
            return False
    return False


def one_link(item: Node) -> tuple[Token, list[Token]] | None:
    """Return the opening token and the text of the link that a list item's first paragraph is
    made of, with nothing else shown beside it; None for any other item."""
    found = item.remembered(_one_link)
    return None if found is None else (found[0], list(found[1]))


def _one_link(item: Node) -> tuple[Token, tuple[Token, ...]] | None:
    if not item.children or item.children[0].type != "paragraph":
        return None
    inline = item.children[0].children[0].token.children or []
    if not _starts_with_link(inline):
        return None  # what most items are
    visible = [c for c in inline if not _blank(c)]
    if len(visible) < 2 or visible[-1].type != "link_close" or any(c.type == "link_open" for c in visible[1:-1]):
        return None
    return visible[0], tuple(visible[1:-1])


def inline_text_of(tokens: list) -> str:
    """Return the plain text of a list of inline tokens."""
    return inline_text(Token("inline", "", 0, children=tokens))


# --- question text: markers, numbering, wrapping bold -------------------------------------------


def strip_marker(children: list[Token], pattern: re.Pattern) -> list[Token] | None:
    """Return inline tokens without a leading marker (`Q.`, `**A1.**`), None if absent.

    The tokens it changes are copies; the others are the file's own, shared (to read, not to change).
    """
    for i, c in enumerate(children):
        if c.type in ("strong_open", "em_open") or (c.type == "text" and not c.content.strip()):
            continue
        if c.type != "text":
            return None
        m = pattern.match(c.content)
        if m is None:
            return None
        kids = list(children)
        kids[i] = c.copy(content=c.content[m.end():])
        return _tidy(kids)
    return None


def strip_answer_label(children: list[Token]) -> list[Token] | None:
    """Inline tokens without a leading answer label (`A.`, `**A:**`, `답:`, `Answer:`), None if
    they have none."""
    stripped = strip_marker(children, A_MARKER)
    return stripped if stripped is not None else strip_marker(children, ANSWER_WORD)


def lines_of(children: list[Token]) -> list[tuple[int, list[Token]]]:
    """The lines an inline run shows, split at its line breaks, each with how many lines below
    the run's first it stands; lines that show nothing are left out."""
    lines: list[tuple[int, list[Token]]] = [(0, [])]
    for c in children:
        if c.type in ("softbreak", "hardbreak"):
            lines.append((lines[-1][0] + 1, []))
        else:
            lines[-1][1].append(c)
    return [(k, line) for k, line in lines if inline_text_of(line).strip()]


def labelled_answer(node: Node) -> bool:
    """Whether a block is a paragraph that begins with the label of an answer (`**Answer:**`,
    `A.`, `Ans:`, `답:`)."""
    return node.type == "paragraph" and strip_answer_label(node.children[0].token.children or []) is not None


def _tidy(kids: list[Token]) -> list[Token]:
    """Drop empty text, emptied `**` pairs and the blank start a removed marker leaves."""
    changed = True
    while changed:
        changed = False
        kept: list[Token] = []
        for c in kids:
            if c.type == "text" and not c.content:
                changed = True
                continue
            if kept and c.type.endswith("_close") and kept[-1].type == c.type[:-6] + "_open":
                kept.pop()
                changed = True
                continue
            kept.append(c)
        while kept and kept[0].type in ("softbreak", "hardbreak"):
            kept.pop(0)
            changed = True
        kids = kept
    for i, c in enumerate(kids):
        if c.type == "text":
            if c.content != c.content.lstrip():
                kids[i] = c.copy(content=c.content.lstrip())
            break
        if c.type not in ("strong_open", "em_open"):
            break
    return kids


def bold_span(tokens: list[Token]) -> list[Token] | None:
    """Return what is inside if the tokens are one `**…**` span, else None (`**a** and **b**`).
    Bold italics as a whole (`***…***`) are a bold span too."""
    if (len(tokens) >= 5 and tokens[0].type == "em_open" and tokens[-1].type == "em_close"
            and _one_span(tokens[1:-1], "em_open", "em_close")):
        tokens = tokens[1:-1]
    if len(tokens) < 3 or tokens[0].type != "strong_open" or tokens[-1].type != "strong_close":
        return None
    depth = 0
    for c in tokens[:-1]:
        depth += {"strong_open": 1, "strong_close": -1}.get(c.type, 0)
        if depth == 0:
            return None
    return tokens[1:-1]


def _one_span(inside: list[Token], opening: str, closing: str) -> bool:
    """Whether no `opening`/`closing` pair inside a span closes it before its end."""
    depth = 0
    for c in inside:
        depth += {opening: 1, closing: -1}.get(c.type, 0)
        if depth < 0:
            return False
    return True


def shown(children: list[Token]) -> list[Token]:
    """Inline tokens without the text that is only spaces (as around a bold span)."""
    return [c for c in children if not (c.type == "text" and not c.content.strip())]


def bold_whole(children: list[Token]) -> list[Token] | None:
    """What is inside if a line's inline tokens are bold as a whole (`**…**`, spaces around it
    aside), else None."""
    return bold_span(shown(children))


def unwrap_bold(children: list[Token]) -> list[Token]:
    """`**question?**` as a whole is how the question is marked, not emphasis within it."""
    inner = bold_whole(children)
    return children if inner is None else inner


def question_tokens(children: list[Token], numbered: bool = False) -> tuple[list[Token], bool]:
    """Return the question as the reader sees it (no `Q.` marker or `1.` numbering) and if it was marked."""
    stripped = strip_marker(children, Q_MARKER)
    marked = stripped is not None
    if stripped is None and numbered:
        stripped = strip_marker(children, _NUMBER)
        # `1. Q: …`: numbered, then marked (the words the reader sees keep the marker, as before).
        marked = stripped is not None and strip_marker(stripped, Q_MARKER) is not None
    return unwrap_bold(stripped if stripped is not None else list(children)), marked


def paragraph(children: list[Token], line: int) -> Node:
    """Make a paragraph node from inline tokens (an answer that shares its question's paragraph)."""
    opening = Token("paragraph_open", "p", 1, map=[line, line + 1], block=True)
    body = Token("inline", "", 0, map=[line, line + 1], children=children, block=True)
    body.content = inline_text_of(children)
    closing = Token("paragraph_close", "p", -1, block=True)
    return Node([opening, body, closing]).children[0]


def trim_rules(blocks: list[Node]) -> list[Node]:
    """Drop the `---` lines people put between one question and the next (or its heading)."""
    blocks = list(blocks)
    while blocks and blocks[-1].type == "hr":
        blocks.pop()
    while blocks and blocks[0].type == "hr":
        blocks.pop(0)
    return blocks


# --- sections: the headings a question stands under -------------------------------------------


def is_title(node: Node, nodes: list[Node], title: str) -> bool:
    """Tell whether a heading is the document's title (its subdeck name), not a section."""
    if node.tag != "h1":
        return False
    if node.children and inline_text(node.children[0].token) == title:
        return True
    return sum(1 for n in nodes if n.type == "heading" and n.tag == "h1") == 1


def section_paths(nodes: list[Node], title: str) -> list[tuple[str, ...]]:
    """Return, for every top-level node, the section headings it stands under (not the title)."""
    stack: list[tuple[int, str]] = []
    paths = []
    current: tuple[str, ...] = ()
    for node in nodes:
        if node.type == "heading":
            level = int(node.tag[1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            text = inline_text(node.children[0].token) if node.children else ""
            if text and not is_title(node, nodes, title):
                stack.append((level, text))
            current = tuple(t for _, t in stack)
        paths.append(current)
    return paths


def question_lines(q) -> set[int]:
    """The lines a question and its answer (and its sub-questions) take in the file."""
    lines = {q.line}
    for block in q.blocks:
        if block.map:
            lines.update(range(block.map[0], block.map[1]))
    for child in q.children:
        lines |= question_lines(child)
    return lines
