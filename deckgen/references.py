"""An answer's References sub-section(s): what a label or heading sets apart as small print."""

from __future__ import annotations

import re

from deckgen.ids import fold
from deckgen.markdown import inline_text
from deckgen.shapes.common import paragraph, trim_rules
from deckgen.tree import Node

# A References sub-section: these labels always start one; the loose ones only before links.
_REFS_LABELS = {
    "reference", "references", "ref", "refs", "참고자료", "참고문헌", "참고링크", "참고사이트", "참고한자료",
    "참고한글", "출처", "자료출처", "furtherreading", "bibliography", "참고자료및출처",
}
_REFS_LOOSE = {"참고", "참조", "link", "links", "링크", "source", "sources", "읽을거리"}


def fold_label(text: str) -> str:
    """Fold a label for comparison: no `:emoji:` codes, case, spaces or punctuation."""
    return fold(re.sub(r":[a-z0-9_+-]+:", "", text.lower()))


def _refs_label(text: str) -> str:
    """Return "strict" or "loose" if the text is only a References label, else ""."""
    label = fold_label(text)
    if label in _REFS_LABELS:
        return "strict"
    return "loose" if label in _REFS_LOOSE else ""


def _has_link(node: Node) -> bool:
    return any(
        c.type == "link_open" for t in node.to_tokens() if t.type == "inline" for c in t.children or ()
    )


def _links_only(node: Node, strict: bool) -> bool:
    """Tell whether a block is what a References label lists: links (any list, when strict)."""
    if node.type in ("bullet_list", "ordered_list"):
        return strict or all(_has_link(item) for item in node.children)
    if node.type == "paragraph":
        return _has_link(node)
    return False


def _label_paragraph(node: Node) -> tuple[str, bool]:
    """For a paragraph that is a References label (`ref`, `**References**`, `출처:`), its kind and
    whether links follow the label within the paragraph; ("", False) otherwise."""
    children = node.children[0].token.children or []
    text_before: list[str] = []
    for k, c in enumerate(children):
        if c.type in ("link_open", "softbreak", "hardbreak"):
            kind = _refs_label("".join(text_before))
            if kind and any(x.type == "link_open" for x in children[k:]):
                return kind, True
            if c.type == "link_open":
                return "", False
            continue
        if c.type in ("text", "code_inline"):
            text_before.append(c.content)
        elif c.type not in ("strong_open", "strong_close", "em_open", "em_close"):
            return "", False
    return _refs_label("".join(text_before)), False


def split_references(blocks: list[Node]) -> tuple[list[Node], list[Node]]:
    """Split an answer into what answers and its References sub-section(s).

    A References heading takes everything up to the next heading of its level or above; a label
    paragraph takes the lists and link paragraphs right after it (or the links it holds itself).
    """
    answer: list[Node] = []
    refs: list[Node] = []
    i = 0
    while i < len(blocks):
        node = blocks[i]
        if node.type == "heading" and node.children:
            kind = _refs_label(inline_text(node.children[0].token))
            if kind:
                level = int(node.tag[1])
                j = i + 1
                while j < len(blocks) and not (blocks[j].type == "heading" and int(blocks[j].tag[1]) <= level):
                    j += 1
                body = trim_rules(blocks[i + 1 : j])
                if kind == "strict" or (body and all(_links_only(b, False) or b.type == "hr" for b in body)):
                    refs.extend([_label(node), *body] if body else [])
                    i = j
                    continue
        elif node.type == "paragraph":
            kind, inline_links = _label_paragraph(node)
            if kind:
                j = i + 1
                while j < len(blocks) and _links_only(blocks[j], kind == "strict"):
                    j += 1
                if inline_links or j > i + 1:
                    refs.extend(blocks[i:j])
                    i = j
                    continue
        answer.append(node)
        i += 1
    return answer, refs


def _label(heading: Node) -> Node:
    """A References heading becomes a plain label paragraph inside the small print."""
    return paragraph(list(heading.children[0].token.children or []), heading.map[0] if heading.map else 0)
