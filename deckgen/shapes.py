"""Where a note file keeps its questions: one finder per shape of notes people write.

Each finder takes the file's block tree and returns `Question`s (question tokens + answer blocks);
`parse.py` then applies the rules all shapes share. `find_questions` picks the shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown_it.tree import SyntaxTreeNode

from deckgen.markdown import inline_text, slug

if TYPE_CHECKING:
    from deckgen.parse import Parser, Question

SHAPES = ("anchored", "bold-bullets")


def find_questions(root: SyntaxTreeNode, parser: Parser, shape: str | None) -> list[Question]:
    """Find the questions of a file in its shape (detected unless given)."""
    if shape in (None, "", "auto"):
        anchored = anchored_questions(root, parser, warn=False)
        if anchored:
            return anchored_questions(root, parser, warn=True)
        return bold_bullet_questions(root, parser)
    if shape == "anchored":
        return anchored_questions(root, parser, warn=True)
    return bold_bullet_questions(root, parser)


# --- index of links + anchored answer sections ---------------------------------------------


def _headings(root: SyntaxTreeNode) -> list[tuple[int, int, str, str]]:
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


def _link_items(node: SyntaxTreeNode, parent: SyntaxTreeNode | None, out: list) -> None:
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


def _only_local_link(item: SyntaxTreeNode) -> tuple[list, str] | None:
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


def anchored_questions(root: SyntaxTreeNode, parser: Parser, warn: bool) -> list[Question]:
    """Questions of a file whose index links `[question](#n)` point at answer headings."""
    from deckgen.parse import Question

    headings = _headings(root)
    by_slug = {h[2]: h for h in headings}
    sections: dict[str, tuple[int, int]] = {}
    for pos, (i, level, s, _text) in enumerate(headings):
        # A section ends at the next heading of its level or above, or at the next `#n` heading
        # whatever its level: that is another answer, never part of this one.
        end = next(
            (j for j, lv, _, t in headings[pos + 1 :] if lv <= level or _looks_like_anchor(t)),
            len(root.children),
        )
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
        if blocks and blocks[0].type == "heading":
            # `## #12` followed by the author's full wording of the question.
            inline = list(blocks[0].children[0].token.children or inline)
            blocks = blocks[1:]
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


def _looks_like_anchor(text: str) -> bool:
    import re

    return bool(re.fullmatch(r"#?\s*\d+(?:[-.]\d+)*", text.strip()))


def _inside_sections(line: int, root: SyntaxTreeNode, sections: dict[str, tuple[int, int]]) -> bool:
    for start, end in sections.values():
        first = root.children[start].map[0]
        last = root.children[end - 1].map[1] if end - 1 > start else first
        if first < line < last and _looks_like_anchor(
            inline_text(root.children[start].children[0].token) if root.children[start].children else ""
        ):
            return True
    return False


def _is_toc_line(line: int, root: SyntaxTreeNode, sections: dict[str, tuple[int, int]]) -> bool:
    return not _inside_sections(line, root, sections)


# --- bold bullets ---------------------------------------------------------------------------


def bold_bullet_questions(root: SyntaxTreeNode, parser: Parser) -> list[Question]:
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


def _bold_only(item: SyntaxTreeNode) -> list | None:
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
