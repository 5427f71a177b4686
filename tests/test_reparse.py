"""Reading only the blocks an edit touched gives the tokens of reading the whole file, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckgen import reparse
from deckgen.errors import Problems
from deckgen.fonts import file_chars
from deckgen.markdown import markdown
from deckgen.model import SourceFile
from deckgen.parse import parse_file
from deckgen.tree import Node

# Lines of every kind of block, and the lines that change how the blocks around them are read:
# fences and math left open, setext underlines, lazy continuations, indented code, HTML blocks.
LINES = [
    "", "", "", "## 배치 정규화란 무엇인가요?", "# 딥러닝", "- **드롭아웃을 쓰는 이유는?**", "  - 과적합을 줄입니다.",
    "    - 깊은 항목 $x_i$", "1. 첫째", "2) 둘째", "* 별표 항목", "+ 더하기 항목", "plain paragraph text",
    "이어지는 문장입니다.", "```python", "```", "~~~", "$$", "\\frac{a}{b}", "$$ x^2 $$", "    indented code",
    "> 인용문", "> - 인용 속 목록", "<details>", "<summary>질문?</summary>", "</details>", "<div>", "</div>",
    "<!-- id: q1 -->", "---", "===", "***", "| 질문 | 답 |", "|---|---|", "| a | b |", "Q. 무엇인가요?",
    "A. 이것입니다.", "\t탭으로 시작", "   - 세 칸 들여쓴 항목", "- [ ] 할 일", "> [!NOTE]", "**굵은 질문?**",
    "<pre>", "</pre>", "<script>", "</script>", "- [배치 정규화](#1)", "  - [드롭아웃](#2)", "### #1", "## 2",
]
GLOBAL_LINES = ["[ref]: https://example.com", "[^1]: 각주", "본문[^1]", "[링크][ref]"]

DOCUMENT = """---
title: 면접 노트
tags: [dl]
---

# 딥러닝

## 배치 정규화란 무엇인가요?

배치마다 평균 $\\mu$와 분산으로 정규화합니다.

- **드롭아웃을 쓰는 이유는?**
  - 과적합을 줄입니다.
  - 하위 질문?
    - 네.

```python
x = 1
```

$$
\\frac{a}{b}
$$

> 인용

| 질문 | 답 |
|---|---|
| a | b |

<details>
<summary>경사 하강법은?</summary>

기울기 반대 방향으로 갑니다.

</details>

Setext 제목
===

1. 첫째
2. 둘째

    indented code

끝.
"""

# An index of links to numbered answer sections, as the seeds are written.
INDEX_DOCUMENT = "# 면접 질문\n\n" + "".join(f"- [질문 {n}은 무엇인가요?](#{n})\n" for n in range(1, 7)) + "\n" + "".join(
    f"### #{n}\n\n#### 질문 {n}은 무엇인가요?\n\n답 {n}입니다.\n\n- 항목 $x_{n}$\n\n" for n in range(1, 7))

# A file of one long list, as `- **question?**` notes are: every question an item of it.
LIST_DOCUMENT = "# 면접\n\n" + "".join(
    f"- **질문 {n}은 무엇인가요?**\n  - 답 $x_{n}$입니다.\n" + ("  - 하위 질문?\n    - 네.\n" if n % 3 == 0 else "")
    + ("  ```python\n  y = 2\n  ```\n" if n % 4 == 1 else "")
    for n in range(12)
) + "\n끝.\n"
# The same list loose: a blank line between its items, which then show their paragraphs.
LOOSE_LIST_DOCUMENT = LIST_DOCUMENT.replace("\n- **", "\n\n- **")
# Loose for one blank line near its end: read alone, the items above it are a tight list.
PARTLY_LOOSE_DOCUMENT = LIST_DOCUMENT.replace("\n- **질문 10", "\n\n- **질문 10")
LIST_LINES = ["- **새 질문?**", "  - 새 답", "  ", "- [ ] 할 일", "  계속되는 문단", "1. 번호", "* 다른 기호",
              "  ```", "  $$", "    - 깊은 답", "-"]


def reread(old: str, new: str) -> list:
    """The tokens of `new` as a process that parsed `old` just before reads them."""
    reparse.keep()
    reparse.parse("note.md", old, {})
    return reparse.parse("note.md", new, {})


@pytest.fixture(autouse=True)
def _fresh_store(monkeypatch):
    monkeypatch.setattr(reparse, "_kept", None)


def edits(lines: list[str], pool: list[str]):
    """Random edits of `lines`: runs of lines put in, taken out or replaced."""
    return st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.lists(st.sampled_from(pool), max_size=4)),
        min_size=1, max_size=3,
    )


def apply(lines: list[str], changes) -> list[str]:
    lines = list(lines)
    for at, drop, put in changes:
        at %= len(lines) + 1
        lines[at:at + drop] = put
    return lines


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.lists(st.sampled_from(LINES), min_size=1, max_size=60), data=st.data())
def test_rereading_an_edit_gives_the_whole_files_tokens(base, data):
    changes = data.draw(edits(base, LINES))
    old, new = "\n".join(base), "\n".join(apply(base, changes))
    assert reread(old, new) == markdown().parse(new, {})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.lists(st.sampled_from(LINES), min_size=1, max_size=40), data=st.data())
def test_other_line_ends_and_nul_are_read_as_markdown_it_reads_them(base, data):
    """Windows and old Mac line ends, mixed, and NUL: markdown-it normalises them before it reads."""
    ends = st.sampled_from(["\n", "\r\n", "\r"])
    pool = [*LINES, "널\0문자", "\0"]

    def joined(lines: list[str]) -> str:
        return "".join(line + data.draw(ends) for line in lines)

    old, new = joined(base), joined(apply(base, data.draw(edits(base, pool))))
    assert reread(old, new) == markdown().parse(new, {})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_edits_of_a_real_shaped_file_give_its_tokens(data):
    base = DOCUMENT.split("\n")
    changes = data.draw(edits(base, LINES + GLOBAL_LINES))
    new = "\n".join(apply(base, changes))
    assert reread(DOCUMENT, new) == markdown().parse(new, {})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), document=st.sampled_from([LIST_DOCUMENT, LOOSE_LIST_DOCUMENT, PARTLY_LOOSE_DOCUMENT]))
def test_edits_of_a_list_of_questions_give_its_tokens(data, document):
    """Items of one list are reread alone: a tight list made loose or a loose one tight, a task
    item, another marker or an item left open below them must still give the whole file's tokens."""
    base = document.split("\n")
    new = "\n".join(apply(base, data.draw(edits(base, LINES + LIST_LINES))))
    assert reread(document, new) == markdown().parse(new, {})


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_edit_after_edit_keeps_the_tokens_right(data):
    """Each reread starts from the tokens the last one made (moved, partly reused)."""
    reparse.keep()
    text = DOCUMENT
    reparse.parse("note.md", text, {})
    for _ in range(4):
        text = "\n".join(apply(text.split("\n"), data.draw(edits([], LINES))))
        assert reparse.parse("note.md", text, {}) == markdown().parse(text, {})


@pytest.mark.parametrize("shape", ["headings", "list", "loose list", "list loose further down"])
def test_only_the_edited_blocks_are_read(monkeypatch, shape):
    """One question edited in the middle of a long file: markdown-it reads a few lines, not the file."""
    if shape == "headings":
        questions = [f"## 질문 {n}은 무엇인가요?\n\n답 {n}입니다.\n\n- 항목 $x_{n}$\n" for n in range(300)]
        edited = "## 질문 150은 무엇일까요?\n\n고친 답입니다.\n"
    else:
        questions = [f"- **질문 {n}은 무엇인가요?**\n  - 답 {n}입니다.\n  - 항목 $x_{n}$" for n in range(300)]
        edited = "- **질문 150은 무엇일까요?**\n  - 고친 답입니다."
    if shape == "loose list":
        questions = [q + "\n" for q in questions]
        edited += "\n"
    elif shape == "list loose further down":  # read alone, the items about the edit are a tight list
        questions[280] = "\n" + questions[280]
    old = "\n".join(questions)
    questions[150] = edited
    new = "\n".join(questions)
    reparse.keep()
    reparse.parse("note.md", old, {})
    read: list[int] = []
    md = markdown()
    real = md.parse
    monkeypatch.setattr(md, "parse", lambda src, env=None: read.append(src.count("\n") + 1) or real(src, env))
    tokens = reparse.parse("note.md", new, {})
    assert tokens == real(new, {})
    assert read and max(read) < 12, read  # the edited question and the heading below it


def test_a_file_with_link_references_or_footnotes_is_read_whole(monkeypatch):
    old = "## 질문?\n\n[링크][r] 답.\n\n## 둘째?\n\n답.\n\n[r]: https://example.com\n"
    new = old.replace("답.\n\n[r]", "고친 답.\n\n[r]")
    reparse.keep()
    reparse.parse("note.md", old, {})
    md = markdown()
    real = md.parse
    read: list[str] = []
    monkeypatch.setattr(md, "parse", lambda src, env=None: read.append(src) or real(src, env))
    assert reparse.parse("note.md", new, {}) == real(new, {})
    assert read == [new]


def test_parsing_a_file_leaves_its_kept_tokens_as_markdown_made_them(tmp_path: Path):
    """The notes are made from the kept tokens themselves: nothing on the way may change them."""
    reparse.keep()
    for text in (DOCUMENT, DOCUMENT.replace("과적합을 줄입니다.", "과적합을 크게 줄입니다.")):
        path = tmp_path / "note.md"
        parse_file(SourceFile(path, "note.md", "note.md", text), Problems())
        assert reparse._kept[str(path)].tokens == markdown().parse(text, {})


def test_a_one_off_build_keeps_no_tokens():
    reparse.parse("note.md", DOCUMENT, {})
    assert reparse._kept is None


def test_a_watched_file_edited_gives_the_notes_of_a_fresh_read(tmp_path: Path, monkeypatch):
    """What `deckgen watch` makes of an edit, from the tokens it kept, is what a build makes."""
    path = tmp_path / "note.md"
    edited = LIST_DOCUMENT.replace("- **질문 6은 무엇인가요?**", "- **질문 6은 무엇일까요?**\n  - 덧붙인 답.")

    def notes(text: str):
        return parse_file(SourceFile(path, "note.md", "note.md", text), Problems()).notes

    fresh = notes(edited)
    reparse.keep()
    notes(LIST_DOCUMENT)
    read: list[str] = []
    md = markdown()
    real = md.parse
    monkeypatch.setattr(md, "parse", lambda src, env=None: read.append(src) or real(src, env))
    assert notes(edited) == fresh
    assert edited not in read  # it was not read whole


def test_a_watching_process_rereads_one_long_edited_file_itself(tmp_path: Path, monkeypatch):
    """A file that changed is parsed in another process by a one-off build where that pays (here
    always), but a process that keeps tokens rereads it itself: only the edited blocks."""
    from deckgen import build as build_module
    from deckgen.cache import ParseCache
    from deckgen.model import BuildConfig

    monkeypatch.setattr(ParseCache, "memory", None)
    monkeypatch.setattr(build_module, "_ELSEWHERE_CHARS", 0)
    notes = tmp_path / "notes"
    notes.mkdir()
    questions = [f"- **질문 {n}은 무엇인가요?**\n  - 답 {n}입니다.\n  - 항목 $x_{n}$" for n in range(1500)]
    path = notes / "long.md"
    path.write_text("\n".join(questions), encoding="utf-8")
    config = BuildConfig(sources=(notes,), outdir=tmp_path / "dist")
    ParseCache.keep_in_memory()
    reparse.keep()
    build_module.collect(config, Problems())
    questions[700] = "- **질문 700은 무엇일까요?**\n  - 고친 답입니다."
    path.write_text("\n".join(questions), encoding="utf-8")
    read: list[int] = []
    md = markdown()
    real = md.parse
    monkeypatch.setattr(md, "parse", lambda src, env=None: read.append(src.count("\n") + 1) or real(src, env))
    _deck, files, _media = build_module.collect(config, Problems())
    assert "질문 700은 무엇일까요?" in [n.question_text for n in files[0].notes]
    assert read and max(read) < 12, read  # here, and only around the edit


def _parsed(path: Path, text: str, chars: dict | None = None):
    """The file, its warnings and its cards' characters; `chars`: the memo of its notes'
    characters a keeping process carries from parse to parse (see fonts.file_chars)."""
    problems = Problems()
    file = parse_file(SourceFile(path, "note.md", "note.md", text), problems)
    if chars is None:
        return file, problems.items, file_chars(file)
    kept: dict = {}
    seen = file_chars(file, chars.get("last"), kept)
    chars["last"] = kept
    return file, problems.items, seen


def _read_fresh(path: Path, text: str):
    """What a process that keeps no tokens makes of `text`; the tokens kept are left as they were."""
    keeping, reparse._kept = reparse._kept, None
    try:
        return _parsed(path, text)
    finally:
        reparse._kept = keeping


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base=st.sampled_from([DOCUMENT, LIST_DOCUMENT, PARTLY_LOOSE_DOCUMENT, INDEX_DOCUMENT]))
def test_notes_kept_through_edits_are_those_of_a_fresh_read(tmp_path_factory, data, base):
    """A process that keeps tokens takes the notes of the questions an edit did not reach from its
    last parse (moved down by the lines the edit added): file, notes and warnings are a fresh read's."""
    path = tmp_path_factory.mktemp("notes") / "note.md"
    reparse.keep()
    text, chars = base, {}
    _parsed(path, text, chars)
    for _ in range(3):
        text = "\n".join(apply(text.split("\n"), data.draw(edits([], LINES + LIST_LINES))))
        assert _parsed(path, text, chars) == _read_fresh(path, text)


@pytest.mark.parametrize("where", [2, 150, 299])
def test_an_edit_makes_again_only_the_notes_it_reached(monkeypatch, tmp_path: Path, where):
    from deckgen.parse import Parser

    questions = [f"- **질문 {n}은 무엇인가요?**\n  - 답 {n}입니다.\n  - 항목 $x_{n}$" for n in range(300)]
    path = tmp_path / "note.md"
    reparse.keep()
    _parsed(path, "\n".join(questions))
    questions[where] = f"- **질문 {where}은 무엇일까요?**\n  - 고친 답입니다.\n  - 한 줄 더.\n  - 또 한 줄."
    made: list[int] = []
    real = Parser.notes_for
    monkeypatch.setattr(Parser, "notes_for", lambda self, q, context: made.append(q.line) or real(self, q, context))
    kept = _parsed(path, "\n".join(questions))
    assert len(made) <= 2 and where * 3 in made, made  # the question edited, and the one above it at most
    assert kept == _read_fresh(path, "\n".join(questions))  # the notes below it moved down by the line added


REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld" / "src"
REAL_FILES = sorted(REALWORLD.rglob("*.md")) if REALWORLD.is_dir() else []


@pytest.mark.skipif(not REAL_FILES, reason="no shared/realworld")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_notes_kept_through_edits_of_real_notes_are_those_of_a_fresh_read(tmp_path_factory, data):
    """The same over real collections' files, edited with lines of their own."""
    real = data.draw(st.sampled_from(REAL_FILES))
    base = real.read_text(encoding="utf-8")
    lines = base.split("\n")
    path = tmp_path_factory.mktemp("notes") / "note.md"
    reparse.keep()
    text, chars = base, {}
    _parsed(path, text, chars)
    for _ in range(2):
        text = "\n".join(apply(text.split("\n"), data.draw(edits([], lines))))
        assert _parsed(path, text, chars) == _read_fresh(path, text)


def test_the_finder_reads_again_only_the_items_an_edit_made(tmp_path: Path, monkeypatch):
    """What the finder reads in a block of the tree (tree.Node.remembered) is kept with the block
    when an edit leaves it as it was, and read again for the blocks the edit made."""
    from deckgen.shapes import anchored, bullets

    read: dict[str, list[int]] = {"bold": [], "links": []}
    for name, module, key in (("_bold_only", bullets, "bold"), ("_links_here", anchored, "links")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda node, real=real, key=key: read[key].append(node.map[0]) or real(node))
    questions = [f"- **질문 {n}은 무엇인가요?**\n  - 답 {n}입니다.\n  - [다음](#{n})" for n in range(60)]
    path = tmp_path / "note.md"
    reparse.keep()
    first = _parsed(path, "\n".join(questions))
    assert len(read["bold"]) == 60 and len(read["links"]) > 60
    read["bold"].clear(), read["links"].clear()
    questions[30] = "- **질문 30은 무엇일까요?**\n  - 고친 답입니다.\n  - 더한 줄입니다."
    kept = _parsed(path, "\n".join(questions))
    assert sorted(read["bold"]) == [87, 90], read  # the item above the edit (its restart) and the edited one
    assert 0 < len(read["links"]) < 10, read
    assert kept == _read_fresh(path, "\n".join(questions)) != first


def _shape(node) -> tuple:
    return (node.type, node.map and tuple(node.map), [id(t) for t in node.to_tokens()], [_shape(c) for c in node.children])


def test_the_block_tree_is_made_again_only_where_the_edit_reached(tmp_path: Path):
    """The tree over an edited file's tokens takes over the blocks above and below the edit
    (moved), and is the tree a fresh build over those tokens makes."""
    questions = [f"- **질문 {n}은 무엇인가요?**\n  - 답 {n}입니다.\n  - 항목 $x_{n}$" for n in range(60)]
    path = tmp_path / "note.md"
    reparse.keep()
    parse_file(SourceFile(path, "note.md", "note.md", "\n".join(questions)), Problems())
    before = reparse.kept(str(path)).tree.children[0].children
    questions[30] = "- **질문 30은 무엇일까요?**\n  - 고친 답입니다.\n  - 더한 줄입니다."
    parse_file(SourceFile(path, "note.md", "note.md", "\n".join(questions)), Problems())
    kept = reparse.kept(str(path))
    items = kept.tree.children[0].children
    assert _shape(kept.tree) == _shape(Node(kept.tokens))
    # Reread from the item above the edit (its line is the restart) to the one below it.
    assert [n for n, (now, then) in enumerate(zip(items, before, strict=True)) if now is not then] == [29, 30]
