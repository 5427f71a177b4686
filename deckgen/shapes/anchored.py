"""Anchored shape: an index of `[question](#n)` links and `### #n` answer sections -> Questions."""

from __future__ import annotations

import re
from urllib.parse import unquote

from deckgen.markdown import inline_text, slug
from deckgen.references import fold_label
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import inline_text_of, looks_like_anchor, one_link, trim_rules
from deckgen.tree import Node


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


def _link_items(node: Node, parent: Node | None, out: list, label: Node | None = None) -> None:
    """Collect list items whose text is only a link to an anchor in this file.

    An entry with no link of its own that holds linked ones is a group label (`label`, the item
    whose text it is): it is passed on.
    """
    for child in node.children:
        if child.type in ("bullet_list", "ordered_list"):
            for item in child.children:
                if not item.remembered(_links_here):
                    continue  # what most items of most files are
                link = _only_local_link(item)
                if link is not None:
                    out.append((item, link, parent, _item_label(label) if parent is None and label else ""))
                    _link_items(item, item, out)
                else:
                    _link_items(item, parent, out, item if parent is None else label)
        elif child.type == "blockquote":
            _link_items(child, parent, out, label)


def _links_here(node: Node) -> bool:
    """Whether a list item or a quote, or an item or quote in it, is only a link to an anchor."""
    return (node.type == "list_item" and _only_local_link(node) is not None) or any(
        item.remembered(_links_here)
        for child in node.children if child.type in ("bullet_list", "ordered_list")
        for item in child.children) or any(
        child.remembered(_links_here) for child in node.children if child.type == "blockquote")


def _item_label(item: Node) -> str:
    """The text of a list item's first paragraph ('' when it has none)."""
    if not item.children or item.children[0].type != "paragraph":
        return ""
    return inline_text(item.children[0].children[0].token)


def _only_local_link(item: Node) -> tuple[list, str] | None:
    """Return (link text tokens, anchor) if the item's first paragraph is one `[..](#x)` link."""
    link = one_link(item)
    if link is None:
        return None
    href = str(link[0].attrGet("href") or "")
    if not href.startswith("#") or len(href) < 2:
        return None
    return link[1], unquote(href[1:])


def anchored_questions(root: Node, parser: Reading | None, warn: bool,
                       numbered_only: bool = False) -> list[Question]:
    """Questions of a file whose index links `[question](#n)` point at answer headings.

    With `numbered_only`, only links to numbered answer sections (`### #12`) count: a link to a
    heading with words of its own is navigation, and that heading is read for what it is.
    """
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
    for item, (text_tokens, anchor), parent_item, group in items:
        line = item.map[0]
        target = by_slug.get(anchor) or by_slug.get(slug(anchor))
        if target is not None and numbered_only and not looks_like_anchor(target[3]):
            continue
        if target is None and numbered_only and not looks_like_anchor(anchor):
            continue
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
            group=group if group and group != inline_text_of(inline) else "",
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
            if s not in linked and looks_like_anchor(text):
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
    label = fold_label(text)
    return bool(label) and not looks_like_anchor(text) and not _PART_LABELS.match(label)


def _inside_sections(line: int, root: Node, sections: dict[str, tuple[int, int]]) -> bool:
    for start, end in sections.values():
        first = root.children[start].map[0]
        last = root.children[end - 1].map[1] if end - 1 > start else first
        if first < line < last and looks_like_anchor(
            inline_text(root.children[start].children[0].token) if root.children[start].children else ""
        ):
            return True
    return False


def _is_toc_line(line: int, root: Node, sections: dict[str, tuple[int, int]]) -> bool:
    return not _inside_sections(line, root, sections)
