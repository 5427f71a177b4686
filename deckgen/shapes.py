"""Where a note file keeps its questions: one finder per shape of notes people write.

Each finder takes the file's block tree and returns `Question`s (question tokens + answer blocks);
`parse.py` then applies the rules all shapes share. `find_questions` picks the shape:

- anchored:     an index of `[question](#n)` links and `### #n` answer sections;
- bold-bullets: `- **question?**` items with the answer nested below;
- headings:     `### question?` headings, the answer up to the next heading of that level or above;
- details:      `<details><summary>question</summary>` with a markdown answer inside;
- qa:           `Q. question` paragraphs, each followed by its `A. answer`;
- lists:        plain or numbered `1. question?` items with the answer nested below.

Detection (no shape given) takes the anchored index when there is one, else the shape that finds
the most questions (earlier in the list above on a tie). Every finder is one pass over the tree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markdown_it.token import Token
from deckgen.tree import Node

from deckgen.markdown import inline_text, markdown, slug

if TYPE_CHECKING:
    from deckgen.parse import Parser, Question

SHAPES = ("anchored", "bold-bullets", "headings", "details", "qa", "lists")
_ALIASES = {
    "auto": "auto", "bullets": "bold-bullets", "bold": "bold-bullets", "heading": "headings",
    "list": "lists", "numbered": "lists", "q&a": "qa", "q/a": "qa",
}

# A heading or list item asks when it ends with a question mark or a Korean question or request
# ending. Endings that ordinary section titles also have (평가, 추가, 혼란 ...) are kept out.
_ASKS = re.compile(
    r"(?:[?？]"
    r"|나요|가요|까요|[^아가]까|니까|[인는은던른한]가|뭔가|무엇|뭘까|뭐죠|왜죠|뭐예요|뭐에요|뭔지|무엇인지"
    r"|(?<![혼반계파노내전])란"
    r"|[은는]"
    r"|(?:해|려|어|워|줘|써|봐)\s?(?:주세요|주십시오|주시겠어요|보세요|볼래요|줄래요?)"
    r"|하시오|(?:설명|서술|비교|기술|정의|논|말)하(?:세요|라)"
    r")$"
)
_TRAILING = re.compile(r"(?:\s*[(\[][^()\[\]]*[)\]]|\s*[.!~…*]+|\s+)$")
Q_MARKER = re.compile(r"^\s*(?:(?:Q|질문)\s*(?:\d+(?:[-.]\d+)*\s*)?[.:)：]|Q\d+(?:[-.]\d+)*(?=\s))\s*")
A_MARKER = re.compile(r"^\s*(?:(?:A|답|답변)\s*(?:\d+(?:[-.]\d+)*\s*)?[.:)：]|A\d+(?:[-.]\d+)*(?=\s))\s*")
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*[.)]\s+")


def asks(text: str) -> bool:
    """Tell whether a heading's or list item's text is a question or a request to explain.

    A trailing aside does not count: "스택이란? (기출)" and "설명해 주세요." both ask.
    """
    text = text.strip()
    for _ in range(4):
        if len(text) > 1 and _ASKS.search(text):
            return True
        trimmed = _TRAILING.sub("", text)
        if trimmed == text:
            return False
        text = trimmed
    return False


def canonical(shape: str | None) -> str | None:
    """Return the shape's canonical name, "auto" for none, None if unknown."""
    name = (shape or "auto").strip().lower()
    name = _ALIASES.get(name, name)
    return name if name == "auto" or name in SHAPES else None


def find_questions(root: Node, parser: Parser, shape: str | None) -> tuple[str, list[Question]]:
    """Find the questions of a file in its shape (detected unless given); return (shape, questions)."""
    name = canonical(shape) or "auto"
    if name == "anchored":
        return name, anchored_questions(root, parser, warn=True)
    if name == "auto" and anchored_questions(root, parser, warn=False):
        return "anchored", anchored_questions(root, parser, warn=True)
    names = SHAPES[1:] if name == "auto" else (name,)
    best: tuple[str, list[Question], list] | None = None
    for candidate in names:
        if best is not None and len(best[1]) >= _most_possible(candidate, root):
            continue  # it could at best tie, and ties go to the shape tried first
        warnings: list = []
        found = _FINDERS[candidate](root, parser, warnings)
        if best is None or len(found) > len(best[1]):
            best = (candidate, found, warnings)
    chosen, questions, warnings = best
    for line, message in warnings:
        parser.problems.warn(parser.at(line), message)
    if chosen != "bold-bullets":
        _keep_sections_only_if_they_tell_apart(questions)
    return (chosen if questions or name != "auto" else ""), questions


def _most_possible(shape: str, root: Node) -> float:
    """Bound how many questions a shape can find here, cheaply (detection runs on every file)."""
    if shape == "lists":
        return sum(len(n.children) for n in root.children if n.type in ("bullet_list", "ordered_list"))
    if shape == "headings":
        return sum(1 for n in root.children if n.type == "heading")
    if shape == "details":
        return sum(n.content.count("<details") for n in root.children if n.type == "html_block")
    return float("inf")


def _keep_sections_only_if_they_tell_apart(questions: list[Question]) -> None:
    """A section path shown on every card of the file tells nothing: drop it then."""
    paths = {q.sections for q in questions if q.parent is None}
    if len(paths) < 2:
        for q in questions:
            q.sections = ()


# --- index of links + anchored answer sections ---------------------------------------------


def _headings(root: Node) -> list[tuple[int, int, str, str]]:
    """Return (child index, level, slug, text) of every top-level heading, slugs made unique."""
    seen: set[str] = set()
    out = []
    for i, node in enumerate(root.children):
        if node.type != "heading":
            continue
        text = inline_text(node.children[0].token) if node.children else ""
        base = slug(text)
        unique, n = base, 1
        while unique in seen:
            unique, n = f"{base}-{n}", n + 1
        seen.add(unique)
        out.append((i, int(node.tag[1]), unique, text))
    return out


def _link_items(node: Node, parent: Node | None, out: list) -> None:
    """Collect list items whose text is only a link to an anchor in this file."""
    for child in node.children:
        if child.type in ("bullet_list", "ordered_list"):
            for item in child.children:
                link = _only_local_link(item)
                if link is not None:
                    out.append((item, link, parent))
                    _link_items(item, item, out)
                else:
                    _link_items(item, parent, out)
        elif child.type == "blockquote":
            _link_items(child, parent, out)


def _only_local_link(item: Node) -> tuple[list, str] | None:
    """Return (link text tokens, anchor) if the item's first paragraph is one `[..](#x)` link."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    children = item.children[0].children[0].token.children or []
    meaningful = [
        c for c in children if not (c.type in ("text", "softbreak", "hardbreak") and not c.content.strip())
    ]
    if len(meaningful) < 2 or meaningful[0].type != "link_open" or meaningful[-1].type != "link_close":
        return None
    href = str(meaningful[0].attrGet("href") or "")
    if not href.startswith("#") or len(href) < 2:
        return None
    if any(c.type == "link_open" for c in meaningful[1:-1]):
        return None
    from urllib.parse import unquote

    return meaningful[1:-1], unquote(href[1:])


def anchored_questions(root: Node, parser: Parser, warn: bool) -> list[Question]:
    """Questions of a file whose index links `[question](#n)` point at answer headings."""
    from deckgen.parse import Question

    headings = _headings(root)
    by_slug = {h[2]: h for h in headings}
    sections: dict[str, tuple[int, int]] = {}
    for pos, (i, level, s, text) in enumerate(headings):
        # A section ends at the next heading of its level or above, or at the next `#n` heading
        # whatever its level: that is another answer, never part of this one. `## #12` may be
        # followed at once by the question as a heading of the same level: that belongs to it.
        rest = headings[pos + 1 :]
        if looks_like_anchor(text) and rest and rest[0][0] == i + 1 and _states_question(rest[0][3]):
            rest = rest[1:]
        end = next((j for j, lv, _, t in rest if lv <= level or looks_like_anchor(t)), len(root.children))
        sections[s] = (i, end)

    items: list = []
    _link_items(root, None, items)
    found: dict[int, Question] = {}
    questions: list[Question] = []
    linked: set[str] = set()
    for item, (text_tokens, anchor), parent_item in items:
        line = item.map[0]
        target = by_slug.get(anchor) or by_slug.get(slug(anchor))
        if target is None:
            if warn and _is_toc_line(line, root, sections):
                parser.problems.warn(
                    parser.at(line), f'link to "#{anchor}" matches no heading in this file; question skipped'
                )
            continue
        start, end = sections[target[2]]
        if _inside_sections(line, root, sections):
            continue  # a cross-link inside an answer, not an index entry
        blocks = list(root.children[start + 1 : end])
        inline = list(text_tokens)
        if blocks and blocks[0].type == "heading" and blocks[0].children and _states_question(
            inline_text(blocks[0].children[0].token)
        ):
            # `## #12` followed by the author's full wording of the question: that is the question
            # (it may differ from the index's text), never part of the answer.
            inline = list(blocks[0].children[0].token.children or inline)
            blocks = blocks[1:]
        blocks = trim_rules(blocks)
        q = Question(
            inline=inline,
            line=root.children[start].map[0],
            blocks=blocks,
            anchor=target[2],
            key=f"#{target[2]}",
        )
        linked.add(target[2])
        parent = found.get(id(parent_item)) if parent_item is not None else None
        if parent is not None:
            q.parent = parent
            parent.children.append(q)
        found[id(item)] = q
        questions.append(q)
    if warn and questions:
        for i, _level, s, text in headings:
            if s not in linked and _looks_like_anchor(text):
                parser.problems.warn(
                    parser.at(root.children[i].map[0]),
                    f'answer section "{text}" is not linked from the question list; skipped',
                )
    return questions


# Headings that label a part of an answer, never the question itself.
_PART_LABELS = re.compile(
    r"^(?:references?|refs?|참고|참조|참고자료|참고문헌|참고링크|출처|answers?|답|답변|풀이|해설|정답|설명|"
    r"예시|예제|코드|code|example|summary|요약|정리|keywords?|키워드|추가|더보기)$"
)


def _states_question(text: str) -> bool:
    """Tell whether the heading after an answer's `#n` heading can be its question."""
    label = re.sub(r"[\W_]+", "", re.sub(r":[a-z0-9_+-]+:", "", text.lower()))
    return bool(label) and not looks_like_anchor(text) and not _PART_LABELS.match(label)


def looks_like_anchor(text: str) -> bool:
    """Tell whether a heading only names an answer section: `#12`, `12-1`, `# 3.2`."""
    return bool(re.fullmatch(r"#?\s*\d+(?:[-.]\d+)*", text.strip()))


_looks_like_anchor = looks_like_anchor


def _inside_sections(line: int, root: Node, sections: dict[str, tuple[int, int]]) -> bool:
    for start, end in sections.values():
        first = root.children[start].map[0]
        last = root.children[end - 1].map[1] if end - 1 > start else first
        if first < line < last and _looks_like_anchor(
            inline_text(root.children[start].children[0].token) if root.children[start].children else ""
        ):
            return True
    return False


def _is_toc_line(line: int, root: Node, sections: dict[str, tuple[int, int]]) -> bool:
    return not _inside_sections(line, root, sections)


# --- bold bullets ---------------------------------------------------------------------------


def bold_bullet_questions(root: Node, parser: Parser) -> list[Question]:
    """Questions of a file of `- **question?**` items with the answer nested below."""
    from deckgen.parse import Question

    questions = []
    for node in root.children:
        if node.type not in ("bullet_list", "ordered_list"):
            continue
        for item in node.children:
            inline = _bold_only(item)
            if inline is None:
                continue
            text = inline_text_of(inline)
            blocks = list(item.children[1:])
            if not blocks and not text.rstrip().endswith(("?", "？")):
                continue  # a bold label with nothing under it is not a question
            questions.append(
                Question(inline=inline, line=item.map[0], blocks=blocks, key=text)
            )
    return questions


def _bold_only(item: Node) -> list | None:
    """Return the inner tokens if the item's first paragraph is entirely bold."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    children = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if not (c.type == "text" and not c.content.strip())
        and not (c.type == "html_inline" and c.content.startswith("<!--"))
    ]
    if len(children) < 3 or children[0].type != "strong_open" or children[-1].type != "strong_close":
        return None
    depth = 0
    for c in children[:-1]:
        depth += {"strong_open": 1, "strong_close": -1}.get(c.type, 0)
        if depth == 0:
            return None  # `**a** and **b**`: bold words, not a bold question
    pinned = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if c.type == "html_inline" and c.content.startswith("<!--")
    ]
    return children[1:-1] + pinned


def inline_text_of(tokens: list) -> str:
    from markdown_it.token import Token

    return inline_text(Token("inline", "", 0, children=tokens))


# --- question text: markers, numbering, wrapping bold -------------------------------------------


def strip_marker(children: list[Token], pattern: re.Pattern) -> list[Token] | None:
    """Return copies of inline tokens without a leading marker (`Q.`, `**A1.**`), None if absent."""
    kids = [c.copy() for c in children]
    for c in kids:
        if c.type in ("strong_open", "em_open") or (c.type == "text" and not c.content.strip()):
            continue
        if c.type != "text":
            return None
        m = pattern.match(c.content)
        if m is None:
            return None
        c.content = c.content[m.end():]
        break
    else:
        return None
    return _tidy(kids)


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
    for c in kids:
        if c.type == "text":
            c.content = c.content.lstrip()
            break
        if c.type not in ("strong_open", "em_open"):
            break
    return kids


def unwrap_bold(children: list[Token]) -> list[Token]:
    """`**question?**` as a whole is how the question is marked, not emphasis within it."""
    meaningful = [c for c in children if not (c.type == "text" and not c.content.strip())]
    if len(meaningful) < 3 or meaningful[0].type != "strong_open" or meaningful[-1].type != "strong_close":
        return children
    depth = 0
    for c in meaningful[:-1]:
        depth += {"strong_open": 1, "strong_close": -1}.get(c.type, 0)
        if depth == 0:
            return children
    return meaningful[1:-1]


def question_tokens(children: list[Token], numbered: bool = False) -> tuple[list[Token], bool]:
    """Return the question as the reader sees it (no `Q.` marker or `1.` numbering) and if it was marked."""
    stripped = strip_marker(children, Q_MARKER)
    marked = stripped is not None
    if stripped is None and numbered:
        stripped = strip_marker(children, _NUMBER)
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


_trim_rules = trim_rules


def _is_title(node: Node, nodes: list[Node], title: str) -> bool:
    """Tell whether a heading is the document's title (its subdeck name), not a section."""
    if node.tag != "h1":
        return False
    if node.children and inline_text(node.children[0].token) == title:
        return True
    return sum(1 for n in nodes if n.type == "heading" and n.tag == "h1") == 1


def _section_paths(nodes: list[Node], title: str) -> list[tuple[str, ...]]:
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
            if text and not _is_title(node, nodes, title):
                stack.append((level, text))
            current = tuple(t for _, t in stack)
        paths.append(current)
    return paths


# --- legacy shapes as finders -----------------------------------------------------------------


def _anchored(root: Node, parser: Parser, warnings: list) -> list[Question]:
    return anchored_questions(root, parser, warn=True)


def _bold(root: Node, parser: Parser, warnings: list) -> list[Question]:
    return bold_bullet_questions(root, parser)


# --- question headings ------------------------------------------------------------------------


def _heading_question(node: Node) -> tuple[list[Token], str] | None:
    """Return (question tokens, text) if a heading asks, else None."""
    if not node.children:
        return None
    children = node.children[0].token.children or []
    tokens, marked = question_tokens(children, numbered=True)
    text = inline_text_of(tokens)
    if not text or _looks_like_anchor(text):
        return None
    if marked or asks(text):
        return tokens, text
    return None


def heading_questions(root: Node, parser: Parser, warnings: list) -> list[Question]:
    """Questions that are headings; a question heading below a question heading is a sub-question."""
    from deckgen.parse import Question

    nodes = root.children
    heads = [(i, int(n.tag[1])) for i, n in enumerate(nodes) if n.type == "heading"]
    stack: list[tuple[int, str, object]] = []  # (level, "q" | "s" | "t", Question | section text)
    spans: dict[int, tuple[int, int, int]] = {}  # id(question) -> (heading index, answer start, end)
    questions: list[Question] = []
    title = getattr(parser, "title", "")
    for pos, (i, level) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        node = nodes[i]
        asked = _heading_question(node)
        if asked is None:
            text = inline_text(node.children[0].token) if node.children else ""
            stack.append((level, "t" if _is_title(node, nodes, title) else "s", text))
            continue
        tokens, text = asked
        end = next((j for j, lv in heads[pos + 1:] if lv <= level), len(nodes))
        parent = next((o for _, kind, o in reversed(stack) if kind == "q"), None)
        q = Question(inline=tokens, line=node.map[0], blocks=[], parent=parent, key=text)
        if parent is None:
            q.sections = tuple(o for _, kind, o in stack if kind == "s")
        else:
            q.key = f"{parent.key}/{text}"
            parent.children.append(q)
        spans[id(q)] = (i, i + 1, end)
        stack.append((level, "q", q))
        questions.append(q)
    for q in questions:
        _, start, end = spans[id(q)]
        taken = {k for c in q.children for k in range(spans[id(c)][0], spans[id(c)][2])}
        q.blocks = _trim_rules([nodes[k] for k in range(start, end) if k not in taken])
    return questions


# --- <details> blocks -------------------------------------------------------------------------

_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
_SUMMARY = re.compile(r"\s*<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)
_MARKDOWN_DIV = re.compile(r"^\s*<div\b[^>]*>\s*$|^\s*</div>\s*$", re.I | re.M)
_TAG = re.compile(r"<[^>]+>")


def details_questions(root: Node, parser: Parser, warnings: list) -> list[Question]:
    """Questions in `<details><summary>question</summary> answer </details>` blocks."""
    lines = parser.source.text.split("\n")
    paths = _section_paths(root.children, getattr(parser, "title", ""))
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
    q.blocks = _trim_rules([
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


# --- Q. / A. paragraphs -----------------------------------------------------------------------


def qa_questions(root: Node, parser: Parser, warnings: list) -> list[Question]:
    """`Q. question` paragraphs; the answer is what follows up to the next question or heading."""
    from deckgen.parse import Question

    paths = _section_paths(root.children, getattr(parser, "title", ""))
    questions: list[Question] = []
    current: Question | None = None
    for i, node in enumerate(root.children):
        if node.type == "heading":
            current = None
            continue
        if node.type == "paragraph":
            children = node.children[0].token.children or []
            stripped = strip_marker(children, Q_MARKER)
            if stripped is not None:
                asked, answer = _split_at_answer(stripped)
                tokens = unwrap_bold(asked)
                text = inline_text_of(tokens)
                current = Question(inline=tokens, line=node.map[0], blocks=[], key=text, sections=paths[i])
                if answer:
                    current.blocks.append(paragraph(answer, node.map[0] + _breaks(asked)))
                questions.append(current)
                continue
        if current is not None:
            current.blocks.append(node)
    for q in questions:
        q.blocks = _trim_rules(q.blocks)
    return questions


def _breaks(tokens: list[Token]) -> int:
    return sum(1 for t in tokens if t.type in ("softbreak", "hardbreak")) + 1


def _split_at_answer(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split `Q. question⏎A. answer` written as one paragraph at the line that starts `A.`."""
    for k, c in enumerate(children):
        if c.type not in ("softbreak", "hardbreak"):
            continue
        rest = children[k + 1:]
        if strip_marker(rest, A_MARKER) is not None:
            return children[:k], rest
    return children, []


# --- plain or numbered lists of questions -------------------------------------------------------


def list_questions(root: Node, parser: Parser, warnings: list) -> list[Question]:
    """`1. question?` items with the answer nested below (or, for a lone item, the blocks after it)."""
    from deckgen.parse import Question

    nodes = root.children
    paths = _section_paths(nodes, getattr(parser, "title", ""))
    questions: list[Question] = []
    trailing: Question | None = None
    for i, node in enumerate(nodes):
        if node.type not in ("bullet_list", "ordered_list"):
            if node.type == "heading":
                trailing = None
            elif trailing is not None:
                trailing.blocks.append(node)
            continue
        made = []
        for item in node.children:
            if not item.children or item.children[0].type != "paragraph":
                continue
            tokens, marked = question_tokens(item.children[0].children[0].token.children or [])
            text = inline_text_of(tokens)
            if not text or not (marked or asks(text)):
                continue
            q = Question(inline=tokens, line=item.map[0], blocks=list(item.children[1:]), key=text,
                         sections=paths[i])
            if len(item.children) < 2:
                if len(node.children) != 1:
                    continue  # a list of bare questions: no answers to make cards of
                made.append(q)
                break
            made.append(q)
        if not made:
            if trailing is not None:
                trailing.blocks.append(node)  # `1. question?`, a blank line, then the answer
            continue
        questions.extend(made)
        trailing = made[-1] if not made[-1].blocks else None
    for q in questions:
        q.blocks = _trim_rules(q.blocks)
    return questions


_FINDERS = {
    "anchored": _anchored,
    "bold-bullets": _bold,
    "headings": heading_questions,
    "details": details_questions,
    "qa": qa_questions,
    "lists": list_questions,
}
