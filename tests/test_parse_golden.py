"""Golden tests for the parser: each fixture's notes, as a reader would get them, kept as JSON.

A change in what the parser makes of a fixture shows up as a diff against tests/golden/. When a
change is intended, regenerate the files with
`DECKGEN_UPDATE_GOLDEN=1 pytest tests/test_parse_golden.py` and read the diff before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.errors import Problems
from deckgen.model import NoteFile, SourceFile
from deckgen.parse import parse_file
from tests.conftest import FIXTURES, assert_golden, golden_view, parse_text

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = (
    "anchored.md",
    "subquestions.md",
    "keywords.md",
    "placeholders.md",
    "bullets_frontmatter.md",
    "math_code.md",
)


def parse(name: str) -> tuple[NoteFile, Problems]:
    """Parse one fixture the way a build does, named by its file name."""
    return parse_text((FIXTURES / name).read_text(encoding="utf-8"), name)


@pytest.mark.parametrize("name", CASES)
def test_fixture_matches_golden(name):
    assert_golden(GOLDEN / (Path(name).stem + ".json"), golden_view(*parse(name)))


def questions(parsed: NoteFile) -> list[str]:
    return [note.question for note in parsed.notes]


def note_for(parsed: NoteFile, fragment: str):
    found = [note for note in parsed.notes if fragment in note.question]
    assert len(found) == 1, f"{len(found)} notes with {fragment!r}: {questions(parsed)}"
    return found[0]


# --- anchored -------------------------------------------------------------------------------


def test_anchored_links_become_questions_in_index_order():
    parsed, problems = parse("anchored.md")
    assert questions(parsed) == [
        "스택과 큐는 어떻게 다른가요?",
        "해시 테이블에서 값을 찾는 데 걸리는 시간은?",
        "이진 탐색을 쓰려면 데이터가 어떤 조건을 갖추어야 하나요?",
    ]
    assert [note.anchor for note in parsed.notes] == ["1", "2", "3"]
    assert parsed.title == "자료구조 기초"


def test_anchored_answer_runs_to_next_heading_of_same_level():
    parsed, _ = parse("anchored.md")
    first = note_for(parsed, "스택과 큐")
    assert "LIFO" in first.answer and "작업 대기열" in first.answer
    assert "충돌" not in first.answer
    # `## #3` holds its `###` full question and the `####` note below it, up to `## 마치며`.
    third = note_for(parsed, "이진 탐색")
    assert "정렬되어" in third.answer and "연결 리스트는" in third.answer
    assert "마치며" not in third.answer and "연결되지 않은" not in third.answer
    assert str(third.location) == "anchored.md:26"


def test_anchored_missing_and_unlinked_anchors_are_reported():
    _, problems = parse("anchored.md")
    assert [str(d) for d in problems.items] == [
        'anchored.md:8: warning: link to "#9" matches no heading in this file; '
        "question skipped",
        'anchored.md:22: warning: answer section "#4" is not linked from the question list; '
        "skipped",
    ]


def test_unlinked_anchor_heading_inside_a_deeper_section_is_not_part_of_its_answer():
    text = (
        "* [첫 질문은?](#1)\n"
        "* [둘째 질문은?](#2)\n\n"
        "## #1\n\n첫 답이다.\n\n"
        "## #2\n\n둘째 답이다.\n\n"
        "### #3\n\n목록에 없는 답이다.\n"
    )
    parsed, problems = parse_text(text, "inline.md")
    assert [str(d) for d in problems.items] == [
        'inline.md:12: warning: answer section "#3" is not linked from the question list; skipped'
    ]
    assert "목록에 없는 답" not in parsed.notes[1].answer


# --- sub-questions --------------------------------------------------------------------------


def test_subquestions_get_their_own_notes_with_parent_as_context():
    parsed, _ = parse("subquestions.md")
    assert len(parsed.notes) == 6
    subs = [note for note in parsed.notes if note.context]
    assert len(subs) == 4
    assert {note.context for note in subs} == {"프로세스와 스레드는 어떻게 다른가요?", "교착 상태란 무엇인가요?"}
    parent = note_for(parsed, "프로세스와 스레드")
    # The parent shows its direct answer (with the list item that asks nothing) then its subs.
    assert parent.answer.index("독립된 메모리") < parent.answer.index("동기화가 필요하다")
    assert parent.answer.index("동기화가 필요하다") < parent.answer.index('<dl class="subqs">')
    assert "스레드마다 따로 가지는 것은?" in parent.answer


def test_restating_paragraph_is_dropped():
    parsed, _ = parse("subquestions.md")
    parent = note_for(parsed, "프로세스와 스레드")
    assert parent.answer.startswith("<p>프로세스는 운영체제로부터")
    assert "어떻게 다른가요?" not in parent.answer


def test_restating_subquestion_is_merged_into_parent():
    parsed, _ = parse("subquestions.md")
    assert sum(note.question == "교착 상태란 무엇인가요?" for note in parsed.notes) == 1
    parent = note_for(parsed, "교착 상태란")
    assert parent.context == ""
    assert parent.answer.startswith("<p>둘 이상의 작업이")
    assert parent.answer.count('class="subq-q"') == 2


# --- keywords -------------------------------------------------------------------------------


def test_keyword_lines_fill_keywords_and_leave_the_answer():
    parsed, problems = parse("keywords.md")
    tcp, https, dns = parsed.notes
    assert tcp.keywords == ("연결 지향", "신뢰성", "순서 보장")
    assert "keyword" not in tcp.answer
    assert https.keywords == ()
    assert https.answer.startswith("<p>HTTPS는")
    assert dns.keywords == ("도메인 이름", "IP 주소")
    assert "주의" in dns.answer  # a bold label that is not "keyword" stays in the answer
    assert problems.items == []


# --- placeholders ---------------------------------------------------------------------------


def test_placeholder_answers_are_skipped_with_file_and_line():
    parsed, problems = parse("placeholders.md")
    assert questions(parsed) == ["조인의 종류는?", "옵티마이저는 무엇을 하나요?"]
    assert parsed.skipped == 6
    messages = [str(d) for d in problems.items]
    assert messages[0] == (
        "placeholders.md:11: warning: question has no answer (empty or a placeholder); "
        'skipped: "인덱스는 왜 쓰나요?"'
    )
    assert [m.split(": warning")[0] for m in messages] == [
        "placeholders.md:11",
        "placeholders.md:15",
        "placeholders.md:19",
        "placeholders.md:23",
        "placeholders.md:27",
        "placeholders.md:37",
    ]
    assert messages[-1] == (
        "placeholders.md:37: warning: sub-question has no answer (empty or a placeholder); "
        'skipped: "비용은 어떻게 추정하나?"'
    )


def test_ellipsis_inside_a_real_answer_is_kept():
    parsed, _ = parse("placeholders.md")
    assert "교차 조인이 있다..." in note_for(parsed, "조인").answer


# --- bold bullets and front matter ----------------------------------------------------------


def test_bold_bullets_and_front_matter():
    parsed, problems = parse("bullets_frontmatter.md")
    assert parsed.title == "자료구조 치트시트"
    assert parsed.tags == ("CS", "자료구조", "면접")
    assert questions(parsed) == [
        "배열과 연결 리스트의 차이?",
        "해시 충돌을 해결하는 방법은?",
        "해시 테이블이 가득 차면 어떻게 하나?",
        "힙(Heap)이란?",
    ]
    resize = note_for(parsed, "가득 차면")
    assert resize.context == "해시 충돌을 해결하는 방법은?"
    assert "<blockquote>" in note_for(parsed, "힙").answer
    assert problems.items == []


# --- math and code --------------------------------------------------------------------------


def test_inline_math_keeps_underscores_and_asterisks():
    parsed, _ = parse("math_code.md")
    neuron = note_for(parsed, "뉴런 하나")
    assert r"\(z = \sum_i x_i * w_i + b\)" in neuron.answer
    assert "<em>" not in neuron.answer
    assert note_for(parsed, "정규화 항").question == (
        r'<span class="math inline">\(L_2\)</span> 정규화 항은 어떻게 생겼나요?'
    )


def test_display_math_keeps_backslashes():
    parsed, _ = parse("math_code.md")
    softmax = note_for(parsed, "소프트맥스")
    assert r"\[\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}\]" in softmax.answer
    matrix = note_for(parsed, "행렬")
    assert r"a_{12} \\ a_{21}" in matrix.answer


def test_money_is_not_math():
    parsed, _ = parse("math_code.md")
    money = note_for(parsed, "요금")
    assert "$5 and $6" in money.answer
    assert r"\(" not in money.answer


def test_code_is_highlighted_and_math_in_code_stays_code():
    parsed, _ = parse("math_code.md")
    code = note_for(parsed, "코드로")
    assert '<pre class="code"><code class="language-python">' in code.answer
    assert "<code>$x_i * w_i$</code>" in code.answer
    assert r"\(x_i" not in code.answer


# --- the sample deck ------------------------------------------------------------------------


def test_sample_sources_parse_cleanly():
    sources = Path(__file__).resolve().parent.parent / "sources"
    problems = Problems()
    counts = {}
    for path in sorted(sources.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        source = SourceFile(path=path, rel=path.name, display=path.name, text=text)
        counts[path.name] = len(parse_file(source, problems).notes)
    assert counts == {"01-basics.md": 19, "02-activation.md": 11, "03-training.md": 12}
    # A build of the sample deck (`make deck`) reports nothing.
    assert problems.items == []


def test_keyword_line_written_as_a_list_item_becomes_keywords():
    text = "- **역전파란?**\n  - **키워드** : 역전파, 연쇄 법칙\n  - 출력의 오차를 거꾸로 전파한다.\n"
    parsed, _ = parse_text(text, "inline.md")
    assert parsed.notes[0].keywords == ("역전파", "연쇄 법칙")
    assert parsed.notes[0].answer == "<ul>\n<li>출력의 오차를 거꾸로 전파한다.</li>\n</ul>"
