"""Lists shape: plain or numbered `1. question?` items with the answer nested below -> Questions."""

from __future__ import annotations

import re

from deckgen.references import fold_label
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import asks, inline_text_of, lines_of, paragraph, question_tokens, trim_rules
from deckgen.shapes.paragraphs import lead_question
from deckgen.tree import Node


_ANSWER_AFTER_LIST = ("table", "fence", "code_block")
_ANSWERS_LABEL = re.compile(r"답|해설|풀이|answer|solution")
_LETTERED = re.compile(r"^\s*(?:[a-z]|[ivx]+)[.)]\s", re.I)


def _start(node: Node) -> int:
    return int(node.nester_tokens[0].attrGet("start") or 1)


def _numbering_goes_on(before: Node, after: list[Node]) -> bool:
    """Tell whether a block after a numbered list belongs to its last item as the reader sees it
    (a table at column 0 cannot be indented into an item): the numbering resumes after it, or the
    section ends with it."""
    if before.type != "ordered_list":
        return False
    if not after or after[0].type == "heading":
        return True  # the table closes the section the list is in
    return after[0].type == "ordered_list" and _start(after[0]) == _start(before) + len(before.children)


def _numbered_in(item: Node) -> Node:
    """The item a bullet holds when it only numbers it (`- 1. state란?`: markdown reads a
    numbered list of one item in the bullet), else the item itself."""
    if len(item.children) == 1 and item.children[0].type == "ordered_list" and len(item.children[0].children) == 1:
        return item.children[0].children[0]
    return item


def _answer_key(made: list[Question], node: Node, after: list[Node]) -> Node | None:
    """The list that answers a list of questions item by item (`- 1. state란?` … then, under a
    label such as `A_답변`, `1. 상태를 담는 값이다.` …): the next list, past at most two short
    lines, with as many items, none of them answered in the list itself and hardly any asking.
    None when there is no such list."""
    if len(made) < 3 or len(made) != len(node.children) or any(q.blocks for q in made):
        return None
    labelled = False
    for k, block in enumerate(after[:3]):
        if block.type in ("bullet_list", "ordered_list"):
            items = block.children
            if len(items) != len(made) or any(not item.children or item.children[0].type != "paragraph"
                                              for item in items):
                return None
            asking = sum(1 for item in items if asks(inline_text_of(item.children[0].children[0].token.children or [])))
            numbered = block.type == "ordered_list" and (
                node.type == "ordered_list" or all(_numbered_in(item) is not item for item in node.children))
            return block if asking * 3 <= len(items) and (labelled or numbered) else None
        words = inline_text_of(block.children[0].token.children or []) if block.type == "paragraph" else ""
        if k == 2 or not words or len(words) > 30:
            return None
        labelled = labelled or bool(_ANSWERS_LABEL.search(fold_label(words)))
    return None


def made_last(node: Node, made: list[Question]) -> Question | None:
    """The question of the list's last item, if that item is one."""
    last = node.children[-1]
    return made[-1] if made and last.map and made[-1].line == last.map[0] else None


def _follow_ups_of_a_question_list(made: list[Question]) -> None:
    """In a list of questions that are mostly unanswered (questions one was asked), an item's
    nested one-line entries are follow-up questions, not its answer."""
    bare = sum(1 for q in made if not q.blocks)
    if len(made) < 3 or bare * 3 < len(made) * 2:
        return
    for q in made:
        if q.blocks and all(_one_liners(b) for b in q.blocks):
            q.blocks = []


def _one_liners(node: Node) -> bool:
    """Whether a nested list holds only one-line entries, none of them only code (`$ docker
    history …` under a question answers it)."""
    return node.type in ("bullet_list", "ordered_list") and all(
        len(item.children) == 1 and item.children[0].type == "paragraph"
        and not _only_code(item.children[0].children[0].token.children or []) for item in node.children)


def _only_code(children: list) -> bool:
    return any(c.type == "code_inline" for c in children) and all(
        c.type == "code_inline" or (c.type == "text" and not c.content.strip()) for c in children)


def _item_question(item: Node) -> tuple[tuple, bool, str, tuple]:
    """The question an item's first paragraph would be, whether it was marked, its text, and the
    start of its answer in that paragraph: the lines under a first line that ends with a
    question mark (`1. 과적합이란?` then the answer on the next line, not indented), unless
    one of them asks too, or they are lettered (`a. …`: follow-ups written under it, none of
    them answered)."""
    children = item.children[0].children[0].token.children or []
    cut = next((k for k, c in enumerate(children) if c.type in ("softbreak", "hardbreak")), None)
    rest: list = []
    if cut is not None and inline_text_of(children[:cut]).rstrip().endswith(("?", "？")):
        lines = [line for _, line in lines_of(children[cut + 1:])]
        if not any(inline_text_of(line).rstrip().endswith(("?", "？")) or _LETTERED.match(inline_text_of(line))
                   for line in lines):
            children, rest = children[:cut], children[cut + 1:]
    tokens, marked = question_tokens(children)
    return tuple(tokens), marked, inline_text_of(tokens), tuple(rest)


def _glued_question(first: Node) -> tuple[str, Question] | None:
    """A paragraph whose first line labels a topic (`**확률**<br><br>`) and whose next line is a
    bold question line (see lead_question), its answer on the lines after: the label's text and
    that question, grouped under it. None for any other paragraph."""
    children = first.children[0].token.children or []
    lines = 0
    for k, c in enumerate(children):
        if c.type in ("softbreak", "hardbreak"):
            lines += 1
            lead = lead_question(children[k + 1:])
            if lead is None:
                return None
            label = inline_text_of([t for t in children[:k] if t.type != "html_inline"]).strip()
            if not label or asks(label):
                return None
            line = first.map[0] + lines
            return label, Question(inline=list(lead[0]), line=line, key=inline_text_of(lead[0]),
                                   blocks=[paragraph(lead[1], line + 1)] if lead[1] else [], group=label)
    return None


def _item_questions(node: Node, sections: tuple[str, ...], group: str = "", every: bool = False) -> list[Question]:
    """The items of a list that ask; under an item that only labels a topic (`4. Feature
    selection.`), the items of its nested lists that ask, and its bold question lines (see
    lead_question), grouped under that label."""
    made = []
    for item in node.children:
        item = _numbered_in(item)
        if not item.children or item.children[0].type not in ("paragraph", "heading"):
            continue  # an item's first line, or a heading written in it (`1. ### question?`)
        tokens, marked, text, rest = item.remembered(_item_question)
        if not text:
            continue
        first = (item.children[0].children[0].token.children or []) if item.children[0].type == "paragraph" else None
        glued = _glued_question(item.children[0]) if (
            first is not None and not marked and any(c.type in ("softbreak", "hardbreak") for c in first)
            and lead_question(first) is None) else None
        if glued is not None or not (marked or every or asks(text)):
            current: Question | None = None
            # The item's label, not itself a question line (that is a bold bullet's, see bullets)
            label = first is not None and lead_question(first) is None
            if glued is not None:
                # `**확률**<br>` and the first question line in one paragraph: the label is its line
                text, current = glued[0], glued[1]
                current.sections = sections
                made.append(current)
            for nested in item.children[1:]:
                lead = lead_question(nested.children[0].token.children or []) if (
                    label and nested.type == "paragraph") else None
                if nested.type in ("bullet_list", "ordered_list"):
                    made.extend(_item_questions(nested, sections, text))
                    current = None
                elif lead is not None:  # `1-1. **question?** `(A사)` <br>` lines under the label
                    current = Question(inline=list(lead[0]), line=nested.map[0], key=inline_text_of(lead[0]),
                                       blocks=[paragraph(lead[1], nested.map[0] + 1)] if lead[1] else [],
                                       sections=sections, group=text)
                    made.append(current)
                elif current is not None:
                    current.blocks.append(nested)
            continue
        # A bare question has no answer: it is reported, never a card.
        blocks = list(item.children[1:])
        if rest:  # its answer begins on the line under it, in its paragraph
            blocks.insert(0, paragraph(list(rest), item.map[0] + 1))
        made.append(Question(inline=list(tokens), line=item.map[0], blocks=blocks, key=text,
                             sections=sections, group=group))
    return made


def list_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list,
                   every: bool = False) -> list[Question]:
    """`1. question?` items with the answer nested below (or, for a lone item, the blocks after it).

    With `every` (the author said the list holds questions), every item is one, asking or not.
    """
    questions: list[Question] = []
    trailing: Question | None = None
    previous: Node | None = None
    lone = False
    answered_by: set[int] = set()  # the lists that are the answers of a list of questions above
    for i, node in enumerate(nodes):
        if node.type not in ("bullet_list", "ordered_list"):
            if node.type == "heading":
                trailing = None
            elif trailing is not None and (lone or (node.type in _ANSWER_AFTER_LIST and previous is not None
                                                    and _numbering_goes_on(previous, nodes[i + 1:i + 2]))):
                trailing.blocks.append(node)
            else:
                trailing = None
            continue
        made = _item_questions(node, paths[i], every=every)
        if 2 * len(made) < len(node.children):  # a list that mostly states things: only its
            made = [q for q in made if q.blocks]  # answered questions are questions
        _follow_ups_of_a_question_list(made)
        key = _answer_key(made, node, nodes[i + 1:])
        if key is not None:  # the answers, one item each, in a list of their own below
            for q, answer in zip(made, key.children, strict=True):
                q.blocks = list(answer.children)
            answered_by.add(id(key))
        elif id(node) in answered_by:
            continue
        if not made:
            if trailing is not None and lone:
                trailing.blocks.append(node)  # `1. question?`, a blank line, then the answer
            continue
        questions.extend(made)
        previous = node
        # The last question's answer may follow the list: anything after a lone item; after a
        # longer list only a table the list's numbering goes on after.
        lone = len(node.children) == 1
        trailing = made[-1] if not made[-1].blocks and made[-1] is made_last(node, made) else None
    for q in questions:
        q.blocks = trim_rules(q.blocks)
    return questions
