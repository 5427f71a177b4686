"""Read a file as a reader does: which headings, lines and toggles are its questions.

1. Numbered answer sections (`### #12`) that an index links to are questions (anchored).
2. A table of contents is navigation: never a question itself. Its entries may name questions
   (a plain entry nested under a link names the heading of that text), or group them.
3. Headings: one that asks is a question. Where a heading level is plainly the items of a Q&A
   sheet (many of its headings ask, most of them do), every heading of that level with an answer
   of its own is one ("C++ 실행 과정", "AOP 용어"), unless questions stand under it (a topic).
4. What lies outside those questions, stretch by stretch between headings, is read by the
   finder that finds the most answered questions there: toggles, `Q.` lines, bold bullets,
   question lists, bold paragraphs, quoted questions or a table with a question column.
"""

from __future__ import annotations

import copy
import re

from deckgen.markdown import inline_text
from deckgen.references import fold_label
from deckgen.shapes.anchored import anchored_questions
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.bullets import bold_bullet_questions
from deckgen.shapes.common import (
    asks,
    asks_weakly,
    inline_text_of,
    is_title,
    labelled_answer,
    one_link,
    question_lines,
    section_paths,
)
from deckgen.shapes.details import answer_interiors, details_questions, revealed, reveals_answer
from deckgen.shapes.headings import heading_question, heading_questions, heading_text
from deckgen.shapes.lists import list_questions
from deckgen.shapes.paragraphs import (
    bold_paragraph_questions,
    bold_question,
    is_separator,
    quoted_questions,
)
from deckgen.shapes.qa import qa_questions
from deckgen.shapes.tables import table_questions
from deckgen.tree import Node

# Finders for the text between headings, in the order that wins a tie.
_BLOCK_FINDERS = (
    ("details", details_questions),
    ("qa", qa_questions),
    ("bold-bullets", bold_bullet_questions),
    ("lists", list_questions),
    ("paragraphs", bold_paragraph_questions),
    ("quotes", quoted_questions),
    ("tables", table_questions),
)
_ITEMS_ASKED = 6
"""How many headings of one level must ask before that level reads as a Q&A sheet's items."""
_ITEMS_SHARE = 2 / 3
# Headings that never stand for a question: parts of a page or of an answer.
_NOT_ITEMS = re.compile(
    r"^(?:references?|refs?|참고|참조|참고자료|참고문헌|출처|목차|contents|tableofcontents|index|toc|"
    r"summary|요약|정리|마치며|마무리|결론|conclusion|intro|introduction|소개|들어가며|서론|예시|예제|"
    r"example|examples|questions?|질문|질문목록|질문리스트|답변|answers?|qna|qa|faq|더보기|"
    r"관련주제|기타|etc|부록|appendix|todo|tbd|(?:학습|복습)?체크리스트|checklist|읽는법|사용법|사용방법|"
    r"howtouse|howtoread|학습목표|objectives?|seealso|furtherreading|relatedlinks?|관련링크|관련글|함께보기|"
    r"더읽을거리)$"
)


def read_file(root: Node, reading: Reading, warnings: list,
              forced: dict[str, str] | None = None) -> tuple[str, list[Question]]:
    """Find every question of a file; return the ways they were written and the questions.

    `forced` names sections (heading text -> shape) read with one finder, as the author says.
    """
    interior = answer_interiors(root.children, reading.source.text) | _headings_in_bold_answers(root.children)
    nodes = [_in_toggle(n) if i in interior and n.type == "heading" else n for i, n in enumerate(root.children)]
    title = getattr(reading, "title", "")
    paths = section_paths(nodes, title)
    used: list[str] = []
    owned: set[int] = set()
    found: list[Question] = []
    for name, span in _forced_sections(nodes, forced or {}):
        args = ([nodes[i] for i in span], reading, [paths[i] for i in span], warnings)
        if name == "headings":  # the author says: every heading there is a question
            made = heading_questions(*args, is_question=lambda _i: True)
        elif name == "lists":
            made = list_questions(*args, every=True)
        else:
            made = dict(_BLOCK_FINDERS)[name](*args)
        used.append(name)
        found.extend(made)
        owned.update(span)
        owned.add(span[0] - 1)  # the section's own heading

    anchored = anchored_questions(root, reading, warn=True, numbered_only=True)
    if anchored:
        used.append("anchored")
        owned |= _anchored_spans(nodes, anchored)
    sections = {q.anchor for q in anchored}
    navigation = {i for i, n in enumerate(nodes) if i not in owned and _is_navigation(n, sections)}
    owned |= navigation
    named = _named_entries([nodes[i] for i in sorted(navigation)])
    for q, span in _labelled_sections(nodes, owned, paths):
        found.append(q)
        owned |= span
        if "qa" not in used:
            used.append("qa")

    is_question, why = _heading_classifier(nodes, owned, named, title, reading.source.text)
    headed = heading_questions(nodes, reading, paths, warnings,
                               is_question=lambda i: i not in owned and is_question(i))
    covered: set[int] = set(owned)
    if headed:
        used.append("headings")
        index = {id(n): i for i, n in enumerate(nodes)}
        heading_at = {n.map[0]: i for i, n in enumerate(nodes) if n.type == "heading" and n.map}
        for q in headed:
            q.blocks = [b for b in q.blocks if index.get(id(b)) not in owned]
            covered.add(heading_at[q.line])
            covered.update(index[id(b)] for b in q.blocks if id(b) in index)

    for i, reason in why.items():
        text = heading_text(nodes[i])
        if text is None or is_title(nodes[i], nodes, title):
            continue
        if i in covered:
            reason = "part of the answer above it: it does not ask"
        _pass(reading, nodes[i].map[0], text[1], reason)

    found += list(anchored) + headed
    for run in _free_runs(nodes, covered):
        run_nodes, run_paths = [nodes[i] for i in run], [paths[i] for i in run]
        for name, made in _read_run(run_nodes, reading, run_paths, warnings):
            used.append(name)
            found.extend(made)
    found.sort(key=lambda q: q.line)
    for q in found:
        q.blocks = revealed(q.blocks, reading)
    _warn_unlisted(named, found, reading, warnings)
    label = "+".join(dict.fromkeys(used)) if used else ""
    return label, found


_QUESTION_LABEL = re.compile(r"^(?:질문|문제|question|q)$")
_ANSWER_LABEL = re.compile(r"^(?:답변|답|정답|해설|풀이|answer|a)$")


def _labelled_sections(nodes: list[Node], owned: set[int], paths: list) -> list[tuple[Question, set[int]]]:
    """A heading that only labels a question (`### 질문`, `### Question`) over the question's
    paragraph, and the heading that labels its answer (`### 답변`) at the same level right after:
    the question, answered by what stands under the second heading (up to a heading as high);
    with the indices of the blocks it takes."""
    found = []
    for i, node in enumerate(nodes):
        if i in owned or not _labels(node, _QUESTION_LABEL) or i + 1 >= len(nodes) or nodes[i + 1].type != "paragraph":
            continue
        level = int(node.tag[1])
        j = next((j for j in range(i + 1, len(nodes)) if nodes[j].type == "heading"), len(nodes))
        if j == len(nodes) or int(nodes[j].tag[1]) != level or not _labels(nodes[j], _ANSWER_LABEL):
            continue
        end = next((k for k in range(j + 1, len(nodes)) if nodes[k].type == "heading" and int(nodes[k].tag[1]) <= level),
                   len(nodes))
        span = set(range(i, end))
        if span & owned:
            continue
        asked = nodes[i + 1]
        tokens = list(asked.children[0].token.children or [])
        label = inline_text(node.children[0].token)
        sections = paths[i][:-1] if paths[i] and paths[i][-1] == label else paths[i]  # not under its own label
        found.append((Question(inline=tokens, line=asked.map[0], blocks=list(nodes[j + 1:end]),
                               key=inline_text_of(tokens), sections=sections, extra=list(nodes[i + 2:j])), span))
    return found


def _labels(node: Node, label: re.Pattern) -> bool:
    """Whether a block is a heading whose whole text is a label (folded, see fold_label)."""
    return node.type == "heading" and bool(node.children) and bool(label.match(fold_label(inline_text(node.children[0].token))))


def _headings_in_bold_answers(nodes: list[Node]) -> set[int]:
    """The indices of the headings that a bold question's answer is written under: a bold
    question (`**Q2 How is KNN different from k-means?**`) with no answer before a heading deeper
    than the section it stands in, each such heading holding text of its own (`##### KNN`, its
    words, `##### K-means`, its words), up to the next bold question or a heading as high as that
    section. A heading that asks, or that only stands over questions, is a heading of the file."""
    inside: set[int] = set()
    level = 0  # the level of the section the blocks stand in
    for i, node in enumerate(nodes):
        if node.type == "heading":
            level = int(node.tag[1])
            continue
        if node.type != "paragraph" or bold_question(node) is None or i + 1 >= len(nodes):
            continue
        k = i + 1
        while k + 1 < len(nodes) and nodes[k].type == "heading" and int(nodes[k].tag[1]) > max(level, 1) and (
                text := heading_text(nodes[k])) is not None and not asks(text[1]) and _holds_text(nodes[k + 1]):
            inside.add(k)
            k += 1
            while k < len(nodes) and nodes[k].type != "heading" and not _bold_question(nodes[k]):
                k += 1
    return inside


def _holds_text(node: Node) -> bool:
    """Whether a block under a heading says something itself (not a heading or a question)."""
    return node.type != "heading" and not _bold_question(node)


def _bold_question(node: Node) -> bool:
    return node.type == "paragraph" and bold_question(node) is not None


def _in_toggle(heading: Node) -> Node:
    """A heading inside an answer's toggle, as the file's structure sees it: no heading (it shows
    as one, its tokens unchanged)."""
    seen = copy.copy(heading)
    seen.type = "heading_in_toggle"
    return seen


def _forced_sections(nodes: list[Node], forced: dict[str, str]) -> list[tuple[str, list[int]]]:
    """(shape, node indices under the heading) of each section whose shape the author set."""
    wanted = {fold_label(heading): shape for heading, shape in forced.items()}
    spans = []
    for i, node in enumerate(nodes):
        if node.type != "heading" or not node.children:
            continue
        shape = wanted.get(fold_label(inline_text(node.children[0].token)))
        if shape is None:
            continue
        level = int(node.tag[1])
        end = next((j for j in range(i + 1, len(nodes))
                    if nodes[j].type == "heading" and int(nodes[j].tag[1]) <= level), len(nodes))
        if end > i + 1:
            spans.append((shape, list(range(i + 1, end))))
    return spans


def _pass(reading: Reading, line: int, text: str, why: str) -> None:
    """Note something that could have been a question and why it is not (`check -v`)."""
    passed = getattr(reading, "passed", None)
    if passed is not None:
        passed.append((line + 1, text, why))


def _read_run(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[tuple[str, list[Question]]]:
    """Read a stretch of blocks: the finder that finds the most answered questions there first,
    then what the others find in the blocks it left (a quoted question among bold ones)."""
    proposals = []
    for rank, (name, finder) in enumerate(_BLOCK_FINDERS):
        said: list[tuple[int, str]] = []
        made, passed = _plausible(name, finder(nodes, reading, paths, said))
        if made:
            answered = sum(1 for q in made if q.blocks or q.children)
            proposals.append((-answered, -len(made), rank, name, made, said, passed))
        else:  # nothing this finder proposes is a question: say why
            for line, text, why in passed:
                _pass(reading, line, text, why)
    proposals.sort(key=lambda p: p[:3])
    taken: set[int] = set()
    chosen = []
    for *_, name, made, said, passed in proposals:
        fresh = [q for q in made if not (question_lines(q) & taken)]
        if fresh:
            chosen.append((name, fresh))
            warnings.extend(said)  # what a finder says (an unclosed toggle), once it is read
            for line, text, why in passed:
                _pass(reading, line, text, why)
            for q in fresh:
                taken |= question_lines(q)
    return chosen


def _plausible(name: str, found: list[Question]) -> tuple[list[Question], list[tuple[int, str, str]]]:
    """Keep what a reader takes for questions among what a finder proposes in running text, and
    say why the rest is not: (questions, [(line, text, why)]).

    A toggle or item that only holds a table of contents is navigation. Bold labels that do not
    ask are a study note's terms unless most of their neighbours ask.
    """
    kept, passed = [], []
    for q in found:
        if q.blocks and all(_is_navigation(b) or is_separator(b) for b in q.blocks):
            passed.append((q.line, inline_text_of(q.inline), "a table of contents"))
        else:
            kept.append(q)
    if name == "bold-bullets":
        asking = [q for q in kept if asks(inline_text_of(q.inline))]
        if len(asking) * 2 < len(kept):
            passed += [(q.line, inline_text_of(q.inline),
                        "a bold label that does not ask, among labels that mostly do not: a term")
                       for q in kept if q not in asking]
            kept = asking
    return kept, passed


def _anchored_spans(nodes: list[Node], questions: list[Question]) -> set[int]:
    """The node indices each numbered answer section takes (its heading, question and answer)."""
    index = {id(n): i for i, n in enumerate(nodes)}
    heading_at = {n.map[0]: i for i, n in enumerate(nodes) if n.type == "heading" and n.map}
    owned: set[int] = set()
    for q in questions:
        start = heading_at.get(q.line)
        if start is None:
            continue
        ends = [index[id(b)] for b in q.blocks if id(b) in index]
        end = max(ends, default=start) + 1
        if end == start + 1 and start + 1 < len(nodes) and nodes[start + 1].type == "heading":
            end += 1  # `## #12` then the question as a heading, and no answer under it
        owned.update(range(start, end))
    return owned


def _is_navigation(node: Node, sections: set[str] = frozenset()) -> bool:
    """Tell whether a list is a table of contents: most of its entries only link somewhere.

    One linked entry alone is a question written as a link (its answer below it) or a link in
    an answer, unless it links to a numbered answer section (`sections`), as an index does.
    """
    if node.type not in ("bullet_list", "ordered_list") or not node.children:
        return False
    hrefs = node.remembered(_item_links)
    if any(h.startswith("#") and h[1:] in sections for h in hrefs):
        return True
    if len(hrefs) == 1 and len(node.children) == 1 and len(node.children[0].children) < 2:
        return False
    return len(hrefs) * 2 >= len(node.children) and len(hrefs) > 0


def _item_links(node: Node) -> tuple[str, ...]:
    """The hrefs of the items of a list that are only a link."""
    return tuple(h for item in node.children if (h := _link_only(item)) is not None)


def _link_only(item: Node) -> str | None:
    """Return the href of a list item whose first paragraph is one link and nothing else."""
    link = one_link(item)
    return None if link is None else str(link[0].attrGet("href") or "")


def _named_entries(lists: list[Node]) -> dict[str, tuple[str, int]]:
    """Plain entries of a table of contents nested under a link: folded text -> (text, line)."""
    named: dict[str, tuple[str, int]] = {}

    def walk(blocks: list[Node], under_link: bool) -> None:
        for child in blocks:
            if child.type in ("bullet_list", "ordered_list"):
                for item in child.children:
                    link = _link_only(item)
                    if link is None and under_link and item.children and item.children[0].type == "paragraph":
                        text = inline_text(item.children[0].children[0].token)
                        key = fold_label(text)
                        if key:
                            named.setdefault(key, (text, item.map[0]))
                    walk(item.children, under_link or link is not None)

    walk(lists, False)
    return named


def _heading_classifier(nodes: list[Node], owned: set[int], named: dict, title: str, source: str):
    """Return is_question(i) for the headings of the file (see the module's docstring). A heading
    whose answer is hidden in a toggle that offers to show it ("정답 보기") asks, however it is
    worded; so does one whose answer begins with its label ("**Answer:**")."""
    heads = [(i, int(n.tag[1])) for i, n in enumerate(nodes) if n.type == "heading" and i not in owned]
    asked: dict[int, bool] = {}
    items: dict[int, bool] = {}
    texts = {i: heading_text(nodes[i]) for i, _level in heads}
    for i, _level in heads:
        node = nodes[i]
        asked[i] = heading_question(node) is not None or (
            texts[i] is not None and i + 1 < len(nodes) and (
                reveals_answer(nodes[i + 1], source) or labelled_answer(nodes[i + 1])))
        text = texts[i]
        label = fold_label(text[1]) if text else ""
        items[i] = bool(label) and not _NOT_ITEMS.match(label) and not is_title(node, nodes, title)
    for pos, (i, _level) in enumerate(heads):  # "A와 B의 차이" over questions of its own: a topic
        if asked[i] and texts[i] is not None and not texts[i][2] and asks_weakly(texts[i][1]) and any(
                heading_question(nodes[j]) is not None for j in _below(heads, pos)):
            asked[i] = False
    per_level: dict[int, list[int]] = {}
    for i, level in heads:
        if items[i] or asked[i]:
            per_level.setdefault(level, []).append(i)
    item_levels = {
        level for level, members in per_level.items()
        if (n := sum(asked[i] for i in members)) >= _ITEMS_ASKED and n >= _ITEMS_SHARE * len(members)
    }
    chosen: dict[int, bool] = {}
    why: dict[int, str] = {}
    for pos, (i, level) in enumerate(heads):
        text = texts[i]
        is_named = bool(text) and fold_label(text[1]) in named
        chosen[i] = asked[i] or is_named
    for pos, (i, level) in enumerate(heads):
        if chosen[i]:
            continue
        if not items[i]:
            why[i] = "a part of the page: a title, contents, references or a summary"
            continue
        below = _below(heads, pos)
        if any(chosen[j] for j in below):
            why[i] = "a topic: questions stand under it"
            continue
        if level not in item_levels:
            why[i] = "a section title: it does not ask, and too few headings of its level ask for them to be a Q&A sheet's items"
            continue
        stop = below[0] if below else next((j for j, lv in heads[pos + 1:] if lv <= level), len(nodes))
        if any(not is_separator(nodes[k]) for k in range(i + 1, stop)):
            chosen[i] = True
        else:
            why[i] = "nothing is written under it"
    return (lambda i: chosen.get(i, False)), why


def _below(heads: list[tuple[int, int]], pos: int) -> list[int]:
    """The headings under the one at `pos` of `heads` ((index, level) each): those after it up to
    the next one as high."""
    level = heads[pos][1]
    below = []
    for j, lv in heads[pos + 1:]:
        if lv <= level:
            break
        below.append(j)
    return below


def _free_runs(nodes: list[Node], covered: set[int]) -> list[list[int]]:
    """Runs of consecutive blocks outside every question, broken at headings."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, node in enumerate(nodes):
        if i in covered or node.type in ("heading", "front_matter"):
            if current:
                runs.append(current)
            current = []
            continue
        current.append(i)
    if current:
        runs.append(current)
    return runs


def _warn_unlisted(named: dict, found: list[Question], reading: Reading, warnings: list) -> None:
    """A question the table of contents lists that has no section anywhere has no answer."""
    if not named:
        return
    seen = {fold_label(inline_text_of(q.inline)) for q in found}
    for key, (text, line) in named.items():
        if key not in seen and asks(text):
            warnings.append((line, f'question listed in the table of contents has no answer in the file; skipped: "{text}"'))
