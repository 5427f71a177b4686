"""Stage 2: one note file's markdown -> the questions a reader sees -> NoteFile.

The file's shape decides where questions are (see `shapes/`); what makes an answer is the same
for every shape and lives here: keyword lines, restated questions, sub-questions, placeholders.
Front matter is read in `frontmatter.py`, References split off in `references.py`, and what
anchors point at (for links between questions) found in `anchors.py`.
"""

from __future__ import annotations

import gc
import html
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

from markdown_it.token import Token

from deckgen import answers, frontmatter, render, reparse, shapes
from deckgen.anchors import anchor_names, names_of_file
from deckgen.cache import stamp
from deckgen.errors import Problems
from deckgen.ids import ANSWER_SKETCH, fold
from deckgen.markdown import MAX_NESTING, inline_text, slug, tokens_text
from deckgen.media import Media, on_disk
from deckgen.model import Note, NoteFile, SourceFile, SourceLocation
from deckgen.references import fold_label, split_references
from deckgen.shapes.base import Question
from deckgen.sources import NOTE_SUFFIXES
from deckgen.tree import Node

_KEYWORD_LABELS = {"keyword", "keywords", "키워드", "핵심", "핵심 키워드"}
_PLACEHOLDER = re.compile(
    r"^(?:\.{2,}|…+|todo|tbd|tba|wip|-+|\?+|작성\s*중|준비\s*중|(?:your\s+)?answers?\s+(?:goes\s+)?here"
    r"|(?:please\s+)?refer\s+to\s+the\s+(?:above|previous)\s+answer|see\s+(?:the\s+)?(?:answer\s+)?above"
    r"|위\s*(?:의\s*)?(?:답변|내용)?\s*참고|답변\s*(?:작성\s*)?예정|incomplete|coming\s+soon"
    r"|to\s+be\s+(?:added|written|updated|completed)|미완성?|(?:답변\s*)?미작성|추후\s*(?:작성|추가|업데이트)(?:\s*예정)?)"
    r"[.!:)]*$",
    re.I,
)
_EMPTY_PARAGRAPH = re.compile(r"\n?<p>\s*</p>")
_PINNED = re.compile(r"<!--\s*id\s*:\s*([\w.-]+)\s*-->")
_QUESTION_END = re.compile(r"[?？]\s*$")
# Link text that says nothing without its target: a bare number or anchor, "here", "여기".
_GENERIC_LINK = re.compile(
    r"^(?:q?\d+|here|link|this|clickhere|more|seemore|여기|이곳|이것|링크|클릭|바로가기|참고|여기참고|"
    r"자세히|자세히보기|더보기|해당질문|이질문|질문|답변|answer|question)?$"
)


def parse_file(
    source: SourceFile, problems: Problems, shape: str | None = None, media: Media | None = None
) -> NoteFile:
    """Parse one note file into the notes it holds."""
    with _collector_paused():
        return _parse_file(source, problems, shape, media)


@contextmanager
def _collector_paused():
    """Keep Python's cycle collector from running while a file is parsed.

    A parse makes some hundred thousand objects (tokens, their children and attributes, block
    nodes) that all live until it ends, and almost no reference cycles: what it drops is freed
    at once, and the few cycles (a question and its sub-questions) are left for the collector's
    first run after it. The collector still runs on the count of objects made, and each full run
    walks all of them: about a sixth of a parse was spent so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse_file(source: SourceFile, problems: Problems, shape: str | None, media: Media | None) -> NoteFile:
    env: dict = {}
    tokens = reparse.parse(str(source.path), source.text, env)
    kept = reparse.kept(str(source.path))  # these tokens and what was made of the last ones, if they are kept
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MAX_NESTING - 1:
        line = next((t.map[0] for t in tokens if t.level >= MAX_NESTING - 1 and t.map), 0) + 1
        problems.warn(SourceLocation(source.display, line),
                      f"lists or quotes nested deeper than {MAX_NESTING} levels: markdown reads no further "
                      "into them, so the rest of that list or quote is left out")
    root = _tree(kept, tokens)
    meta = frontmatter.read(root, source, problems)
    title = frontmatter.title(meta, root, source)
    parser = Parser(source, problems, env, media)
    parser.title = title
    setting = frontmatter.shape_setting(meta, source, problems)
    chosen, found = shapes.find_questions(root, parser, setting or shape,
                                          frontmatter.section_shapes(meta, source, problems))
    parser.names = anchor_names(root, found, title)
    reuse = _Reuse(kept, (chosen, source.display)) if kept is not None else None
    notes: list[Note] = []
    for question in found:
        if question.parent is None:
            notes.extend(parser.notes_for(question, context=None)[1] if reuse is None else reuse.notes(parser, question))
    if reuse is not None:
        reuse.keep()
    return NoteFile(
        source=source,
        title=title,
        tags=frontmatter.tags(meta),
        notes=tuple(notes),
        skipped=parser.skipped,
        diagnostics=(),
        order=frontmatter.order(source.rel),
        shape=chosen,
        depends=tuple(sorted((str(path), *stamp) for path, stamp in parser.depends.items())),
        passed=tuple(sorted(parser.passed)),
    )


def _tree(kept: reparse.Tokenised | None, tokens: list[Token]) -> Node:
    """The block tree over a file's tokens: where they are kept (`kept`, see reparse.keep), made
    from the last one where the edit did not reach."""
    if kept is None:
        return Node(tokens)
    last, kept.tree_before = kept.tree_before, None
    kept.tree = Node.regrown(last, tokens, kept.spliced) if last is not None and kept.spliced else Node(tokens)
    return kept.tree


class Parser:
    """Turns questions found by a shape into notes: the rules every shape shares."""

    def __init__(self, source: SourceFile, problems: Problems, env: dict, media: Media | None = None):
        self.source = source
        self.problems = problems
        self.env = env
        self.media = media
        self.skipped = 0
        self.passed: list[tuple[int, str, str]] = []
        """(1-based line, text, why) of what could have been a question and is not one."""
        self.title = ""
        self.names: dict[str, str] = {}
        """What this file's anchors point at: anchor -> question (or heading) text; "" -> title."""
        self.depends: dict[Path, tuple[int, int]] = {}
        """Other note files whose questions this file's links name: path -> (mtime_ns, size)."""
        self.looked = 0
        """How many links, images and stretches of the file's text were looked up: what they show
        depends on more than the tokens of the question that shows them (see _Reuse)."""

    def link(self, href: str, label: str) -> str | None:
        """Return the text to show for a link into the collection, None to keep a web link.

        A link to a question (`#17-3`, `other.md#17-3`) leads nowhere on a card: its text stays,
        and where that text says nothing by itself (`여기`, `12`) the question it points at is named.
        """
        target = href.strip()
        if not render.is_local_href(target) and (self.media is None or not self.media.may_be_local(target)):
            return None  # a link to the web: kept as it is
        self.looked += 1  # what it shows depends on the files it leads to
        if not render.is_local_href(target):
            local = self.media.local_file(target)
            if local is None or local.suffix.lower() not in NOTE_SUFFIXES:
                return None
            target = "/" + local.relative_to(self.media.repo).as_posix() + (
                "#" + target.split("#", 1)[1] if "#" in target else ""
            )
        path, _, fragment = target.partition("#")
        path = unquote(path.split("?", 1)[0])
        fragment = unquote(fragment)
        if not _GENERIC_LINK.match(fold_label(label)) and label:
            return label
        if not path:
            names = self.names
        else:
            names = self._names_in(path)
        name = names.get(fragment) or names.get(slug(fragment)) if (fragment or path) else None
        if name is None and not fragment and path:
            name = names.get("")
        return f"“{name}”" if name else label

    def _names_in(self, path: str) -> dict[str, str]:
        """The anchors of another note file of the collection (empty if it is not one)."""
        if path.startswith("/"):
            base = self.media.repo if self.media is not None else None
            if base is None:
                return {}
            file = base / path.lstrip("/")
        else:
            file = self.source.path.parent / path
        if file.suffix.lower() not in NOTE_SUFFIXES:
            return {}
        try:
            file = on_disk(file).resolve()
            if file == self.source.path.resolve():
                return self.names
            if self.media is not None and not self.media.inside_collection(file):
                return {}  # a file outside the notes: its headings are nobody's to show
            seen = stamp(file)
        except (OSError, RuntimeError):
            return {}
        self.depends[file] = seen
        return names_of_file(file, seen)

    def image(self, src: str, line: int) -> str | None:
        """Resolve an image in this file to its packaged name (see media.py)."""
        self.looked += 1
        if self.media is None:
            return src
        placed = self.media.resolve(src, self.source.path, self.at(line))
        if placed is not None and ("://" in placed or placed.startswith("//")):
            self.problems.warn(self.at(line), f'remote image "{placed}" kept as a link (phones may be offline)')
        return placed

    def warn_at(self, line: int, message: str) -> None:
        """Record a warning at a 0-based line of this file (what rendering reports)."""
        self.problems.warn(self.at(line), message)

    def at(self, line: int) -> SourceLocation:
        """Return the user-facing location of a 0-based line."""
        return SourceLocation(self.source.display, line + 1)

    def notes_for(
        self, q: Question, context: tuple[str, str] | None
    ) -> tuple[Note | None, list[Note]]:
        """Make the notes of one question: its own (None if skipped) and all, in reading order."""
        q_html = render.inline(q.inline, self.env, self.image, q.line, warn=self.warn_at)
        if q.extra:  # code or a list written inside the question itself
            q_html += render.blocks(q.extra, self.env, self.image, self.link, warn=self.warn_at)
        q_text = _inline_plain(q.inline)
        pinned = _pinned_inline(q.inline)
        keywords: list[str] = []
        direct: list[Node] = []
        subs: list[Question] = []
        answer, refs = split_references(q.blocks)
        answer, inner = answers.inner_questions(answer, q, self)
        subs.extend(inner)
        # An answer that only asks more questions: none of them is answered, nor is this one.
        asked = answers.only_follow_ups(answer) if not inner else []
        if asked:
            answer = []
        queue = list(answer)
        leading = True
        while queue:
            node = queue.pop(0)
            if answers.is_chrome(node):
                continue  # `[Top](#top)`, `↥ back to top`: the page's, not the answer's
            if node.type == "blockquote":
                kept_quote, quoted = answers.quoted_sub_questions(node, q)
                subs.extend(quoted)
                if kept_quote is None:
                    continue
                node = kept_quote
            if answers.is_follow_up_list(node):
                for item in node.children:  # questions asked after it, none answered
                    self.skipped += 1
                    text = inline_text(item.children[0].children[0].token)
                    self.problems.warn(self.at(item.map[0]), f'follow-up question has no answer; skipped: "{text}"')
                continue
            if node.type == "html_block" and (m := _PINNED.search(node.content)):
                pinned = pinned or m.group(1)
                continue
            if node.type == "paragraph" and leading and (unmarked := _without_answer_marker(node)):
                node = unmarked  # `A. the answer`: the marker is not part of it
            if node.type == "paragraph":
                inline = node.children[0].token
                words = _keywords(inline)
                if words is not None:
                    keywords.extend(words)
                    continue
                text = inline_text(inline)
                if leading and _restates(text, q_text):
                    continue
                if _PLACEHOLDER.match(text):
                    continue
            if node.type in ("bullet_list", "ordered_list"):
                kept: list[Node] = []
                ahead: list[Node] = []  # the answer of an item that repeats the question, before the others
                after: list[Node] = []
                for item in node.children:
                    words = _keyword_item(item)
                    if words is not None:  # `- **keyword** : a, b` written as a list item
                        keywords.extend(words)
                        continue
                    sub = self._sub_question(item, q)
                    if sub is None:
                        if not _placeholder_item(item):
                            held, deeper = self._deeper_sub_questions(item, q)
                            subs.extend(deeper)
                            kept.append(held)
                    elif _restates(_inline_plain(sub.inline), q_text):
                        # The sub-question repeats its parent: its answer is the parent's own,
                        # where the item stood.
                        (after if kept else ahead).extend(sub.blocks)
                    else:
                        subs.append(sub)
                queue[0:0] = after
                if ahead:
                    queue[0:0] = [*ahead, *([answers.with_children(node, kept)] if kept else [])]
                    continue
                if not kept:
                    continue
                if len(kept) != len(node.children) or any(a is not b for a, b in zip(kept, node.children)):
                    node = answers.with_children(node, kept)
            if node.type == "list_item" or (node.type == "paragraph" and not inline_text(node.children[0].token)
                                             and not _shows_image(node)):
                continue
            leading = False
            direct.append(node)

        parent_ctx = (q_html, q.key)
        sub_notes: list[Note] = []
        shown: list[tuple[str, str]] = []
        for sub in subs:
            own, made = self.notes_for(sub, context=parent_ctx)
            sub_notes.extend(made)
            if own is not None:
                shown.append((own.question, own.answer))
        for child in q.children:
            own, made = self.notes_for(child, context=parent_ctx)
            sub_notes.extend(made)
            if own is not None and not child.anchor:
                # Anchored answers stand alone as before; other shapes' sub-questions show in the
                # parent's answer the way nested list sub-questions do.
                shown.append((own.question, own.answer))

        direct = shapes.trim_rules(direct)
        # A paragraph left empty (a math-service image drawn as its TeX elsewhere) shows nothing.
        direct_html = _EMPTY_PARAGRAPH.sub("", render.blocks(direct, self.env, self.image, self.link, warn=self.warn_at))
        link_only = answers.only_links(direct)
        if (not answers.has_content(direct_html) or link_only) and not shown:
            self.skipped += 1
            what = "sub-question" if context else "question"
            why = "only a link" if link_only else "only references" if refs else "empty or a placeholder"
            self.problems.warn(self.at(q.line), f'{what} has no answer ({why}); skipped: "{q_text}"')
            self._unanswered(asked)
            return None, sub_notes
        self._unanswered(asked)
        refs_html = render.references(render.blocks(refs, self.env, self.image, self.link, warn=self.warn_at))
        answer_text = tokens_text([t for n in direct for t in n.to_tokens()])
        note = Note(
            question=q_html,
            question_text=q_text,
            answer=direct_html + render.subquestions(shown) + refs_html,
            answer_text="\n".join([answer_text, *(n.answer_text for n in sub_notes)])[:ANSWER_SKETCH],
            context=context[0] if context else (html.escape(q.group) or _section_context(q)),
            keywords=tuple(keywords),
            location=self.at(q.line),
            anchor=q.anchor,
            parent_key=context[1] if context else q.group,
            pinned_id=pinned,
            tags=_section_tags(q),
        )
        return note, [note, *sub_notes]

    def _unanswered(self, asked: list[tuple[int, str]]) -> None:
        """Warn of follow-up questions asked with no answer (see answers.only_follow_ups)."""
        for line, text in asked:
            self.skipped += 1
            self.problems.warn(self.at(line), f'follow-up question has no answer; skipped: "{text}"')

    def _deeper_sub_questions(self, item: Node, parent: Question) -> tuple[Node, list[Question]]:
        """A list item that is no question of its own (`- **Checked 예외**`), with the bold
        questions that lists nested in it ask, each with its answer below it (`- **왜 남용하면 안
        되나요?**`): the item without them, and them, sub-questions too."""
        if not any(c.type in ("bullet_list", "ordered_list") for c in item.children):
            return item, []
        found: list[Question] = []
        children = []
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                held = []
                for inner in child.children:
                    sub = self._sub_question(inner, parent) if _bold_line(inner) else None
                    if sub is not None and not _restates(_inline_plain(sub.inline), _inline_plain(parent.inline)):
                        found.append(sub)
                        continue
                    inner, deeper = self._deeper_sub_questions(inner, parent)
                    found.extend(deeper)
                    held.append(inner)
                if not held:
                    continue
                if len(held) != len(child.children) or any(a is not b for a, b in zip(held, child.children)):
                    child = answers.with_children(child, held)
            children.append(child)
        return (answers.with_children(item, children) if found else item), found

    def _sub_question(self, item: Node, parent: Question) -> Question | None:
        """Return the list item as a sub-question if its own text asks (see answers.asks_in_answer)
        and an answer follows."""
        if item.type != "list_item" or not item.children or item.children[0].type != "paragraph":
            return None
        first = item.children[0]
        line = first.map[0] if first.map else parent.line
        asked, blocks = list(first.children[0].token.children or []), list(item.children[1:])
        if not blocks:  # `- "…?"` then `→ the answer` on the item's next line
            asked, rest = _arrowed(asked)
            if not rest:
                return None
            blocks = [shapes.paragraph(rest, line + 1)]
        text = shapes.inline_text_of(asked)
        if not _QUESTION_END.search(text.rstrip(_CLOSING_QUOTES)) and not answers.asks_in_answer(asked):
            return None
        return Question(
            inline=asked,
            line=line,
            blocks=blocks,
            anchor="",
            parent=parent,
            key=f"{parent.key}/{fold(text)}",
        )


def _arrowed(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split a question line from its answer written on the next line after an arrow (`→ …`,
    `-> …`, `⇒ …`): (question, answer without the arrow); the answer is [] when there is none."""
    for k, c in enumerate(children):
        if c.type not in ("softbreak", "hardbreak"):
            continue
        rest = children[k + 1:]
        if rest and rest[0].type == "text" and (m := _ARROW.match(rest[0].content)):
            rest = [rest[0].copy(content=rest[0].content[m.end():]), *rest[1:]]
            return children[:k], rest if shapes.inline_text_of(rest).strip() else []
        return children, []
    return children, []


_ARROW = re.compile(r"^\s*(?:→|->|⇒|=>|➡️?|↳)\s*")
_CLOSING_QUOTES = "\"'”’」』 "


class _Reuse:
    """The notes of a file's questions that an edit left as they were, taken from what the last
    parse made of them, in a process that keeps the files' tokens (see reparse.keep).

    Those tokens are the last ones, the same objects, wherever the edit did not reach (see
    reparse.Tokenised.fresh): a top-level question whose every block, sub-questions' too, lies
    there, found as it was (its lines, blocks, key, sections and question tokens: its
    `_signature`), in a file read with the same shape and under the same name, makes the notes
    it made, moved down by the lines the edit added above it. Only a question that reported
    nothing and looked nothing up (a link, an image: what they show depends on other files) is
    kept so: any other is made again each time (a `<details>` block is read from the file's text
    down to its `</details>`, which may lie anywhere below)."""

    def __init__(self, tokens, setting: tuple) -> None:
        self._tokens = tokens
        before = tokens.made_before
        tokens.made_before = None
        self._old: dict[tuple, tuple[list[Note], int, Question]] = (
            before[1] if tokens.fresh is not None and before is not None and before[0] == setting else {})
        self._setting = setting
        self._new: dict[tuple, tuple[list[Note], int, Question]] = {}

    def notes(self, parser: Parser, q: Question) -> list[Note]:
        """The notes of top-level question `q`: those made last time if it is as it was, else made now."""
        moved = self._moved(q)
        signature = _signature(q, 0)
        if moved is not None and (made := self._old.get(_signature(q, -moved) if moved else signature)) is not None:
            notes, skipped, _ = made
            if moved:
                notes = [_moved_note(note, moved) for note in notes]
            parser.skipped += skipped
            self._new[signature] = (notes, skipped, q)
            return notes
        before = (len(parser.problems.items), parser.looked, len(parser.depends), parser.skipped)
        notes = parser.notes_for(q, context=None)[1]
        if (len(parser.problems.items), parser.looked, len(parser.depends)) == before[:3]:
            # Kept with the question: the tokens its signature names by id stay theirs.
            self._new[signature] = (notes, parser.skipped - before[3], q)
        return notes

    def _moved(self, q: Question) -> int | None:
        """By how many lines the edit moved all of `q`, None if it reached any of it."""
        start, end, moved = self._tokens.fresh or (0, 1 << 62, 0)
        if not _over(q, self._tokens.tokens):
            return None  # blocks read from text of their own: only their lines are the file's
        spans = list(_spans(q))
        if all(hi <= start for _lo, hi in spans):
            return 0
        if all(lo >= end for lo, _hi in spans):
            return moved
        return None

    def keep(self) -> None:
        """Keep what this parse made, for the next parse of the file."""
        self._tokens.made = (self._setting, self._new)


def _spans(q: Question):
    """The lines [lo, hi) of a question and its answer, and of each of its sub-questions'."""
    lo, hi = q.line, q.line + 1
    for node in (*q.blocks, *q.extra):
        if node.map is not None:
            lo, hi = min(lo, node.map[0]), max(hi, node.map[1])
    yield lo, hi
    for child in q.children:
        yield from _spans(child)


def _over(q: Question, tokens: list[Token]) -> bool:
    """Whether a question's blocks, and its sub-questions', are views of the file's `tokens`."""
    return all(n.over(tokens) for n in (*q.blocks, *q.extra)) and all(_over(c, tokens) for c in q.children)


def _signature(q: Question, moved: int) -> tuple:
    """What a finder made of a question, its lines moved by `moved`: the question as found."""
    return (q.line + moved, tuple(map(id, q.inline)), _placed(q.blocks, moved), _placed(q.extra, moved),
            q.anchor, q.key, q.sections, q.group, tuple(_signature(child, moved) for child in q.children))


def _placed(nodes: list[Node], moved: int) -> tuple:
    return tuple((n.type, n.map[0] + moved, n.map[1] + moved) if n.map else n.type for n in nodes)


def _moved_note(note: Note, lines: int) -> Note:
    return replace(note, location=replace(note.location, line=note.location.line + lines))


def _shows_image(node: Node) -> bool:
    """Tell whether a paragraph holds an image (`![](x.png)` has no text of its own)."""
    return any(c.type == "image" or (c.type == "html_inline" and "<img" in c.content.lower())
               for c in node.children[0].token.children or ())


def _keyword_item(item: Node) -> list[str] | None:
    """Return the keywords of a list item that is only a keyword line, else None."""
    if item.type != "list_item" or len(item.children) != 1 or item.children[0].type != "paragraph":
        return None
    return _keywords(item.children[0].children[0].token)


def _bold_line(item: Node) -> bool:
    """Whether a list item's first paragraph is bold as a whole."""
    if item.type != "list_item" or not item.children or item.children[0].type != "paragraph":
        return False
    children = item.children[0].children[0].token.children or []
    return shapes.bold_whole(children) is not None


def _placeholder_item(item: Node) -> bool:
    """Tell whether a list item holds nothing but a placeholder (`- TODO`, `- **Why:**`)."""
    if item.type != "list_item" or len(item.children) != 1 or item.children[0].type != "paragraph":
        return False
    inline = item.children[0].children[0].token
    if _PLACEHOLDER.match(inline_text(inline)):
        return True
    # `- **Definition:**` with nothing after it (or an empty link, `[]()`): a template's field,
    # not filled in
    shown = shapes.shown(inline.children or [])
    while len(shown) >= 2 and shown[-2].type == "link_open" and shown[-1].type == "link_close":
        shown = shown[:-2]
    label = shapes.bold_span(shown)
    return label is not None and inline_text(inline).rstrip().endswith((":", "："))


def _section_context(q: Question) -> str:
    """Context of a top-level question: the section path it stands under, e.g. `메모리 › 페이징`."""
    return " › ".join(html.escape(s) for s in q.sections)


def _section_tags(q: Question) -> tuple[str, ...]:
    """One hierarchical tag (`운영체제::메모리`) for the sections of a question or of its parent."""
    while q.parent is not None:
        q = q.parent
    parts = [slug(s) for s in q.sections]
    return ("::".join(parts),) if parts and all(parts) else ()


def _without_answer_marker(node: Node) -> Node | None:
    """Return the paragraph without its leading `A.` / `**A:**` / `답:` / `Answer:` marker, None if it
    has none."""
    inline = node.children[0].token
    stripped = shapes.strip_answer_label(inline.children or [])
    if stripped is None:
        return None
    tokens = [t.copy() for t in node.to_tokens()]
    tokens[1].children = stripped
    tokens[1].content = inline_text(tokens[1])
    return Node(tokens).children[0]


def _inline_plain(children: list[Token]) -> str:
    holder = Token("inline", "", 0, children=children)
    return inline_text(holder)


def _pinned_inline(children: list[Token]) -> str:
    for child in children:
        if child.type == "html_inline" and (m := _PINNED.search(child.content)):
            return m.group(1)
    return ""


def _keywords(inline: Token) -> list[str] | None:
    """Return the keywords of a `**keyword** : a, b` line, or None if it is not one."""
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content)]
    if len(children) < 3 or children[0].type != "strong_open":
        return None
    label = children[1].content.strip().rstrip(":：").strip().lower()
    if label not in _KEYWORD_LABELS or children[2].type != "strong_close":
        return None
    rest = _inline_plain(children[3:])
    if children[1].content.strip().endswith((":", "：")):
        rest = ":" + rest
    if not rest.startswith((":", "：")):
        return None
    words = [w.strip() for w in re.split(r"[,，、]", rest[1:])]
    return [w for w in words if w]


def _restates(text: str, question: str) -> bool:
    """Tell whether a line only repeats (part of) the question it answers: "캐시 란?" under
    "캐시란 무엇인가?" asks what it asks."""
    t, q = fold(text), fold(question)
    if not t or not q:
        return False
    if t == q or (t in q and len(t) >= max(6, len(q) // 2)):
        return True
    core = _ASKING_TAIL.sub("", t)  # it asks too ("X란?"), and about the same X
    return core != t and len(core) >= 2 and core == _ASKING_TAIL.sub("", q)


# What "X란 무엇인가요?" adds to X, folded (see ids.fold): the same question as "X란?".
_ASKING_TAIL = re.compile(r"(?:이란|란)(?:무엇인가요|무엇인가|무엇일까요|무엇일까|뭔가요|뭘까요|뭔가|무엇|뭐죠|뭐야)?$")
