"""The shapes notes come in: which one a file is detected as, and what a reader gets from each.

Golden files in tests/golden/shapes/ hold every note of each fixture in tests/fixtures/shapes/;
regenerate them with `DECKGEN_UPDATE_GOLDEN=1 pytest tests/test_shapes.py` and read the diff.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from deckgen.errors import Problems
from deckgen.model import NoteFile
from deckgen.shapes import asks
from tests.conftest import FIXTURES, assert_golden, golden_view, parse_text

GOLDEN = Path(__file__).resolve().parent / "golden" / "shapes"

SHAPE_CASES = {"headings.md": "headings", "details.md": "details", "qa.md": "qa", "lists.md": "lists"}


def parse(name: str, shape: str | None = None) -> tuple[NoteFile, Problems]:
    text = (FIXTURES / "shapes" / name).read_text(encoding="utf-8")
    return parse_text(text, name, shape)


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_shape_fixture_matches_golden(name):
    assert_golden(GOLDEN / (Path(name).stem + ".json"), golden_view(*parse(name)))


def questions(parsed: NoteFile) -> list[str]:
    return [note.question_text for note in parsed.notes]


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shape", sorted(SHAPE_CASES.items()))
def test_each_fixture_is_detected_as_its_shape(name, shape):
    assert parse(name)[0].shape == shape


@pytest.mark.parametrize(
    "name, shape",
    [("anchored.md", "anchored"), ("subquestions.md", "anchored"), ("bullets_frontmatter.md", "bold-bullets"),
     ("math_code.md", "bold-bullets")],
)
def test_the_seed_shapes_are_still_detected(name, shape):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert parse_text(text, name)[0].shape == shape


def test_front_matter_chooses_the_shape():
    text = "---\ndeckgen:\n  shape: lists\n---\n\n## 스택이란?\n\n- 큐는 무엇인가요?\n  - 먼저 넣은 것을 먼저 꺼낸다.\n"
    parsed, problems = parse_text(text)
    assert parsed.shape == "lists"
    assert questions(parsed) == ["큐는 무엇인가요?"]
    assert problems.items == []


def test_shape_setting_from_the_config_is_used_and_front_matter_wins():
    text = "## 스택이란?\n\n- 큐는 무엇인가요?\n  - 먼저 넣은 것을 먼저 꺼낸다.\n"
    assert parse_text(text, shape="headings")[0].shape == "headings"
    assert parse_text("---\ndeckgen: {shape: lists}\n---\n" + text, shape="headings")[0].shape == "lists"


def test_unknown_front_matter_shape_is_a_warning_at_its_line():
    text = "---\ntitle: x\ndeckgen:\n  shape: tabel\n---\n\n## 스택이란?\n\n후입선출 구조다.\n"
    parsed, problems = parse_text(text)
    assert parsed.shape == "headings"
    assert [str(d) for d in problems.items] == [
        'note.md:4: warning: front matter: unknown shape "tabel" (expected one of anchored, bold-bullets, '
        "headings, details, qa, lists); detecting it instead"
    ]


def test_no_shape_drops_another_a_question_list_under_a_heading_question_is_its_sub_questions():
    text = (
        "## 스택이란?\n\n후입선출 구조다.\n\n"
        "- 큐란 무엇인가요?\n  - 선입선출 구조다.\n- 덱은 무엇인가요?\n  - 양쪽에서 넣고 뺀다.\n"
    )
    parsed, _ = parse_text(text)
    assert parsed.shape == "headings"
    assert questions(parsed) == ["스택이란?", "큐란 무엇인가요?", "덱은 무엇인가요?"]
    assert [n.parent_key for n in parsed.notes] == ["", "스택이란?", "스택이란?"]


def test_the_finder_finding_the_most_questions_reads_a_stretch_between_headings():
    text = (
        "## 자료구조\n\n스택은 후입선출 구조다.\n\n"
        "- 큐란 무엇인가요?\n  - 선입선출 구조다.\n- 덱은 무엇인가요?\n  - 양쪽에서 넣고 뺀다.\n"
    )
    parsed, _ = parse_text(text)
    assert parsed.shape == "lists"
    assert questions(parsed) == ["큐란 무엇인가요?", "덱은 무엇인가요?"]


def _calls(work) -> int:
    """Return how many functions (Python and built-in) `work()` calls: a measure of its cost that,
    unlike the clock, does not depend on the machine or on what else it is doing. It sees work
    repeated in Python (a pass over every earlier heading for each heading), not time spent inside
    one call (a regex backtracking)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event in ("call", "c_call")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(previous)
    return count


def test_detection_cost_grows_linearly_with_the_file():
    def text(n: int) -> str:
        return "\n".join(f"## 절 {i}\n\n### 질문 {i}번은 무엇인가요?\n\n답 {i}.\n\n- 항목 {i}\n  - 설명\n"
                         for i in range(n))

    short, long = text(500), text(1500)
    parsed, _ = parse_text(long)
    assert len(parsed.notes) == 1500
    small, large = _calls(lambda: parse_text(short)), _calls(lambda: parse_text(long))
    assert 2.9 < large / small < 3.1, (small, large)  # three times the file, three times the work


def test_reading_many_sections_of_questions_grows_linearly_with_the_file():
    def text(n: int) -> str:  # every section a stretch of its own for the finders to read
        return "\n".join(f"## 절 {i}\n\n- **질문 {i}은 무엇인가요?**\n  - 답 {i}.\n" for i in range(n))

    short, long = text(300), text(900)
    assert len(parse_text(long)[0].notes) == 900
    small, large = _calls(lambda: parse_text(short)), _calls(lambda: parse_text(long))
    assert 2.9 < large / small < 3.1, (small, large)


# --- what asks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["스택이란?", "프로세스와 스레드의 차이는 무엇인가요", "어떻게 다른가요", "왜 그럴까", "이것은 무엇인가",
     "TCP란", "GC를 설명해 주세요", "장단점을 말해주세요", "알려주세요", "비교하시오", "차이점은",
     "스택이란? (기출)", "차이를 설명해 주세요.", "동작 원리는 무엇일까요", "What is a stack?",
     "리액트를 써봤냐", "어떤 역할을 맡았는지 궁금합니다", "개발자가 된 이유⭐️", "생성자 주입을 권장하는 이유",
     "쿠키와 세션의 차이", "TCP와 UDP의 차이점", "Compare 2 sorting algorithms",
     "도함수를 수식으로 나타내보세요", "비율의 의미를 쓰시오", "Select every employee in Sales.",
     "Count the employees in each department", "1️⃣ Explain normalization", "Find second highest salary",
     "Difference between WHERE and HAVING", "Why use a queue?"],
)
def test_questions_ask(text):
    assert asks(text)


@pytest.mark.parametrize(
    "text",
    ["개요", "정리", "모델 평가", "기능 추가", "데이터 혼란", "참고 자료", "마치며", "가상 메모리 (참고)",
     "Questions", "Answers", "#12", "1. 소개", "성능 향상 방법", "주의할 점", "이유", "차이", "버전 차이",
     "Contrast 1: Name = positive", "Select statements", "Count sketch", "Sort order", "Why:", "How",
     "What:"],
)
def test_section_titles_do_not_ask(text):
    assert not asks(text)


# --- rules across shapes ----------------------------------------------------------------------


def test_heading_answer_runs_to_the_next_heading_of_its_level_without_sub_questions():
    parsed, _ = parse("headings.md")
    first = parsed.notes[0]
    assert "크롬은 탭마다" in first.answer  # a section heading inside the answer stays in it
    assert first.answer.index("크롬은") < first.answer.index('<dl class="subqs">')
    assert "스택과 레지스터" in first.answer.split('<dl class="subqs">')[1]
    assert "문맥 교환이란" not in first.answer


def test_sections_give_context_and_a_tag_but_never_a_card():
    parsed, _ = parse("headings.md")
    assert "정리" not in questions(parsed) and "모델 평가" not in questions(parsed)
    by_question = {n.question_text: n for n in parsed.notes}
    assert by_question["문맥 교환이란"].context == "프로세스"
    assert by_question["스래싱은 왜 일어나나요?"].tags == ("메모리",)
    sub = by_question["스레드마다 따로 가지는 것은?"]
    assert sub.context == "프로세스와 스레드의 차이는 무엇인가요?" and sub.tags == ("프로세스",)


def test_one_section_for_the_whole_file_is_not_shown():
    text = "# 제목\n\n## 문제편\n\n### 스택이란?\n\n후입선출.\n\n### 큐란?\n\n선입선출.\n"
    parsed, _ = parse_text(text)
    assert [(n.context, n.tags) for n in parsed.notes] == [("", ()), ("", ())]


def test_numbering_and_q_markers_are_not_part_of_the_question():
    text = "## 1. 스택이란?\n\n후입선출.\n\n## Q2. 큐\n\n선입선출.\n"
    parsed, _ = parse_text(text)
    assert questions(parsed) == ["스택이란?", "큐"]


def test_qa_markers_leave_the_card_and_an_inline_answer_is_split():
    parsed, _ = parse("qa.md")
    btree = parsed.notes[1]
    assert btree.question == "B-Tree 인덱스가 범위 검색에 강한 이유"
    assert btree.answer == "<p>키가 정렬된 채로 저장되어 있어 시작 위치를 찾은 뒤 순서대로 읽으면 된다.</p>"
    assert not any(n.answer.startswith(("<p>A.", "<p>A:", "<p>A)", "<p>Q")) for n in parsed.notes)
    assert "QUIC" not in " ".join(questions(parsed))


def test_details_lines_point_at_the_summary_inside_nested_blocks():
    text = (
        "<details>\n<summary>부모 질문은?</summary>\n\n부모 답.\n\n"
        "<details>\n<summary>자식 질문은?</summary>\n\nTODO\n\n</details>\n\n</details>\n"
    )
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["부모 질문은?"]
    assert [str(d) for d in problems.items] == [
        'note.md:7: warning: sub-question has no answer (empty or a placeholder); skipped: "자식 질문은?"'
    ]


def test_details_without_blank_lines_and_unclosed_details():
    text = "<details><summary><b>한 줄 질문?</b></summary>\n답이 바로 온다.\n</details>\n\n<details>\n<summary>열린 질문?</summary>\n\n끝까지 간다.\n"
    parsed, problems = parse_text(text)
    assert [(n.question, n.answer) for n in parsed.notes] == [
        ("한 줄 질문?", "<p>답이 바로 온다.</p>"),
        ("열린 질문?", "<p>끝까지 간다.</p>"),
    ]
    assert [str(d) for d in problems.items] == [
        "note.md:5: warning: <details> is never closed with </details>; it runs to the end of the file"
    ]


def test_list_items_that_only_hold_a_placeholder_are_skipped_in_every_shape():
    parsed, problems = parse("lists.md")
    assert "정밀도와 재현율의 차이는?" not in questions(parsed)
    assert str(problems.items[0]).startswith("lists.md:16: warning: question has no answer")


def test_a_lone_numbered_question_takes_the_paragraphs_after_it():
    parsed, _ = parse("lists.md")
    assert parsed.notes[-1].question_text == "차원의 저주란 무엇인가요?"
    assert parsed.notes[-1].answer.startswith("<p>고차원에서는")


# --- a folder of every shape, built and imported into real Anki -------------------------------


def test_a_folder_of_every_shape_gives_the_cards_a_reader_sees(run_cli, tmp_path, anki):
    import shutil

    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    for name in SHAPE_CASES:
        shutil.copy(FIXTURES / "shapes" / name, notes / name)
    for name in ("anchored.md", "bullets_frontmatter.md"):
        shutil.copy(FIXTURES / name, notes / name)
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", notes / "img" / "Diagram One.PNG")

    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    expected = {}
    for name in notes.glob("*.md"):
        parsed, _ = parse_text(name.read_text(encoding="utf-8"), name.name)
        expected[f"notes::{parsed.title}"] = parsed
    total = sum(len(p.notes) for p in expected.values())
    assert total == 30
    assert f"{total} notes" in result.stdout

    anki.import_package(next((tmp_path / "dist").glob("notes-v1.0.0.apkg")))
    by_deck: dict[str, list] = {}
    for note in anki.notes():
        by_deck.setdefault(anki.deck_of(note), []).append(note)
    assert sorted(by_deck) == sorted(expected)
    for deck, parsed in expected.items():
        got = sorted((n["Question"], n["Context"]) for n in by_deck[deck])
        assert got == sorted((n.question, n.context) for n in parsed.notes), deck
        for note in parsed.notes:
            if "<img" in note.answer:
                continue  # compared below, with the packaged image name
            card = next(n for n in by_deck[deck] if n["Question"] == note.question and n["Context"] == note.context)
            assert card["Answer"] == note.answer, note.question
        assert all(set(parsed.tags) <= set(n.tags) for n in by_deck[deck])

    # Sections are Context, never cards; Q./A. markers are not on the cards.
    assert anki.note_by_question("문맥 교환이란")["Context"] == "프로세스"
    assert not [n for n in anki.notes() if n["Question"] in ("정리", "모델 평가", "가상 메모리 (참고)")]
    assert anki.note_by_question("B-Tree 인덱스가")["Answer"].startswith("<p>키가 정렬된")
    sub = anki.note_by_question("3-way handshake")
    assert sub["Context"] == "TCP와 UDP의 차이는?"
    assert "3-way handshake 순서는?" in anki.note_by_question("TCP와 UDP의 차이는?")["Answer"]

    # The image in a numbered-list answer is packaged and the card points at it.
    card = anki.note_by_question("편향과 분산")
    src = re.search(r'<img src="([^"]+)"', card["Answer"]).group(1)
    assert src != "img/Diagram%20One.PNG" and src == src.lower()
    assert (Path(anki.col.media.dir()) / src).is_file()
