"""A file read as a reader reads it: mixed shapes, Q&A sheets, unanswered questions, page chrome.

The fixtures in fixtures/reading/ are small files in the shapes real collections take: an
interview sheet with a table of contents and noun-phrase items, an English question bank,
study notes with questions inside them, questions without answers, mixed shapes, and numbered
answer sections grouped by their index.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from deckgen.model import NoteFile
from tests.conftest import parse_text

READING = Path(__file__).resolve().parent / "fixtures" / "reading"


def read(name: str):
    return parse_text((READING / name).read_text(encoding="utf-8"), name)


def questions(parsed: NoteFile) -> list[str]:
    return [n.question_text for n in parsed.notes]


def note(parsed: NoteFile, question: str):
    return next(n for n in parsed.notes if n.question_text == question)


def test_a_qa_sheet_reads_its_noun_phrase_items_and_quoted_follow_ups():
    parsed, problems = read("sheet.md")
    assert questions(parsed) == [
        "JVM 구조", "가비지 컬렉션은 언제 일어나나요?", "Major GC는 언제 일어날까?",
        "String과 StringBuilder의 차이는?", "오버로딩과 오버라이딩의 차이는?", "Checked vs Unchecked Exception",
        "AOP 용어", "IoC란?", "빈 스코프는 어떤 것이 있나요?", "DI가 무엇인지 설명하시오",
        "필터와 인터셉터의 차이를 말해보세요",
    ]
    sub = note(parsed, "Major GC는 언제 일어날까?")
    assert sub.parent_key == "가비지 컬렉션은 언제 일어나나요?"
    assert sub.answer == "<p>Old 영역이 가득 차면 일어난다.</p>"
    # Navigation lines are the page's, not the answer's.
    assert "Top" not in note(parsed, "DI가 무엇인지 설명하시오").answer
    assert "back to top" not in note(parsed, "필터와 인터셉터의 차이를 말해보세요").answer
    # The table of contents is no card, and a question it lists without a section is reported.
    assert [str(d) for d in problems.items] == [
        'sheet.md:11: warning: question listed in the table of contents has no answer in the file; '
        'skipped: "트랜잭션 전파란 무엇인가요?"'
    ]


def test_topic_headings_of_too_few_items_stay_sections():
    text = "## 운영체제\n\n### 프로세스\n\n설명.\n\n### 스레드란?\n\n실행 흐름.\n\n### 메모리\n\n설명.\n"
    parsed, _ = parse_text(text)
    assert questions(parsed) == ["스레드란?"]


def test_english_questions_without_question_marks_bold_prompts_quotes_and_toggles():
    parsed, problems = read("english.md")
    assert questions(parsed) == [
        "What is overfitting?", "Explain the bias-variance tradeoff", "Describe cross-validation.",
        "Define learning rate.", "What is a p-value? 👶", "Write a query that counts the rows of a table.",
        "Is accuracy a good metric for imbalanced data?", "What does $@ hold in a shell script?",
        "What does this print?",
    ]
    # A code span in a summary stays code; code inside the summary is part of the question.
    assert "<code>$@</code>" in note(parsed, "What does $@ hold in a shell script?").question
    assert "math" not in note(parsed, "What does $@ hold in a shell script?").question
    printed = note(parsed, "What does this print?")
    assert '<pre class="code"><code class="language-bash">' in printed.question
    assert "3" in printed.answer
    assert "<pre" in note(parsed, "Write a query that counts the rows of a table.").answer
    assert note(parsed, "Explain the bias-variance tradeoff").answer.count("<h4>Code example</h4>") == 1
    # Empty toggles and "Answer here" are no answer; the promotion line is no question.
    assert [str(d) for d in problems.items] == [
        'english.md:62: warning: question has no answer (empty or a placeholder); skipped: "What is a zombie process?"',
        'english.md:65: warning: question has no answer (empty or a placeholder); skipped: "What is a daemon?"',
    ]


def test_questions_inside_study_notes_and_a_table_answering_a_numbered_question():
    parsed, problems = read("study.md")
    assert questions(parsed) == ["3-way handshake를 하는 이유는?", "패킷(Packet)?", "혼잡 제어는 왜 필요한가요?"]
    handshake = note(parsed, "3-way handshake를 하는 이유는?")
    assert "이제 연결 해제를 보자" not in handshake.answer  # the answer ends at the `<br>` separator
    assert note(parsed, "패킷(Packet)?").answer == "<ul>\n<li>데이터를 나누어 보내는 단위이다.</li>\n</ul>"
    assert note(parsed, "혼잡 제어는 왜 필요한가요?").answer.startswith("<table>")
    assert problems.items == []


def test_unanswered_questions_are_reported_and_never_cards():
    parsed, problems = read("unanswered.md")
    assert parsed.notes == ()
    assert parsed.skipped == 7
    assert [str(d) for d in problems.items] == [
        'unanswered.md:5: warning: question has no answer (empty or a placeholder); skipped: "프로세스와 스레드의 차이는 무엇인가요?"',
        'unanswered.md:6: warning: question has no answer (empty or a placeholder); skipped: "가상 메모리란 무엇인가요?"',
        'unanswered.md:7: warning: follow-up question has no answer; skipped: "페이지 폴트는 언제 생기나요?"',
        'unanswered.md:11: warning: question has no answer (empty or a placeholder); skipped: "인덱스는 왜 쓰나요?"',
        'unanswered.md:15: warning: question has no answer (empty or a placeholder); skipped: "트랜잭션 격리 수준에 대해 설명해주세요"',
        'unanswered.md:20: warning: question has no answer (only a link); skipped: "CORS란 무엇인가요?"',
        'unanswered.md:24: warning: question has no answer (empty or a placeholder); skipped: "데드락이란?"',
    ]


def test_every_shape_of_a_mixed_file_is_read_section_by_section():
    parsed, problems = read("mixed.md")
    assert parsed.shape == "headings+bold-bullets+details+qa"
    assert questions(parsed) == [
        "스택이란?", "스택은 어디에 쓰이나요?", "스택 오버플로는 언제 일어나나요?", "큐란 무엇인가요?", "원형 큐의 장점은?",
    ]
    assert note(parsed, "스택 오버플로는 언제 일어나나요?").parent_key == "스택은 어디에 쓰이나요?"
    assert note(parsed, "원형 큐의 장점은?").answer == "<p>배열을 재사용해 공간을 낭비하지 않는다.</p>"
    assert problems.items == []


@pytest.mark.parametrize(
    "chrome",
    ["[Top](#top)", "[⬆ 위로](#목차)", "[뒤로](../README.md)", "[:arrow_double_up:](#contents)",
     '<div align="right"><b><a href="#">↥ back to top</a></b></div>', "_Network.end_",
     "📌 **관련 주제**: [스택](#스택), [큐](#큐)"],
)
def test_page_chrome_is_left_out_of_the_answer(chrome):
    parsed, _ = parse_text(f"## 스택이란?\n\n후입선출 구조다.\n\n{chrome}\n")
    assert parsed.notes[0].answer == "<p>후입선출 구조다.</p>"


def test_an_advertising_heading_after_the_last_answer_is_left_out():
    text = ("## What is a stack?\n\nLast in, first out.\n\n"
            "#### Explore all 100 answers here 👉 [Example](https://example.com/qs)\n")
    parsed, _ = parse_text(text)
    assert parsed.notes[0].answer == "<p>Last in, first out.</p>"


def test_korean_emphasis_after_punctuation_is_bold_on_the_card():
    parsed, _ = parse_text("## 정규화란?\n\n**Batch Normalization(BN)**은 층마다 입력을 정규화한다.\n")
    assert parsed.notes[0].answer == "<p><strong>Batch Normalization(BN)</strong>은 층마다 입력을 정규화한다.</p>"


def test_a_readme_in_a_folder_is_read_and_a_folder_of_unanswered_questions_only_warns(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "README.md").write_text("# 질문\n\n## 스택이란?\n\n후입선출 구조다.\n", encoding="utf-8")
    result = run_cli("check", "notes")
    assert result.exit_code == 0, result.output + result.stderr
    assert "notes/README.md (headings): 1 question" in result.output

    empty = tmp_path / "asked"
    empty.mkdir()
    shutil.copy(READING / "unanswered.md", empty / "unanswered.md")
    result = run_cli("build", "asked", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    assert "warning: no answered questions in asked" in result.stderr
    assert "asked/unanswered.md:5: warning: question has no answer" in result.stderr


def test_no_questions_found_says_what_was_read_and_how_to_force_a_shape(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "memo.md").write_text("# 메모\n\n그냥 적어 둔 글.\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "error: no questions found in notes" in lines
    assert "note: read 1 note file: notes/memo.md" in lines
    assert any(line.startswith("note: deckgen finds questions written as") and "shape" in line for line in lines)


def test_images_and_group_labels_reach_anki(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(READING / "grouped.md", notes / "grouped.md")
    shutil.copytree(READING / "img", notes / "img")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    rank = anki.note_by_question("행렬의 랭크란 무엇인가요?")
    image = next(name for name in os.listdir(anki.col.media.dir()) if name.endswith(".png"))
    assert f'<img src="{image}"' in rank["Answer"]  # an image alone, with no alt text, is kept
    for question in ("고유값이란 무엇인가요?", "고유벡터는 어떻게 구하나요?"):
        assert anki.note_by_question(question)["Context"] == "고유값"  # the index's group label
    assert rank["Context"] == ""


def test_an_image_in_a_question_is_packaged_from_a_cached_parse(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copytree(READING / "img", notes / "img")
    (notes / "q.md").write_text("## 이 행렬의 랭크는? ![](img/rank.png)\n\n2이다.\n", encoding="utf-8")
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    (notes / "other.md").write_text("## 스택이란?\n\n후입선출 구조다.\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "dist")  # q.md now comes from the parse cache
    assert result.exit_code == 0, result.output + result.stderr
    newest = sorted((tmp_path / "dist").glob("*.apkg"))[-1]
    anki.import_package(newest)
    image = next(name for name in os.listdir(anki.col.media.dir()) if name.endswith(".png"))
    assert f'<img src="{image}"' in anki.note_by_question("이 행렬의 랭크는?")["Question"]


def test_check_verbose_lists_every_question_and_every_near_miss_with_why(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(READING / "sheet.md", notes / "sheet.md")
    shutil.copy(READING / "study.md", notes / "study.md")
    result = run_cli("check", "-v", "notes")
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.output.splitlines()
    assert "  notes/sheet.md:3: not a question: 목차 (a part of the page: a title, contents, references or a summary)" in lines
    assert "  notes/sheet.md:13: not a question: 자바 (a topic: questions stand under it)" in lines
    assert "  notes/sheet.md:15: question: JVM 구조" in lines
    assert "  notes/sheet.md:23: sub-question: Major GC는 언제 일어날까?" in lines
    assert "  notes/study.md:21: not a question: Stop and Wait (a bold label that does not ask, among labels that " \
           "mostly do not: a term)" in lines
    assert "  notes/study.md:15: question: 패킷(Packet)?" in lines
    quiet = run_cli("check", "notes")
    assert "question: JVM 구조" not in quiet.output


def test_front_matter_forces_the_shape_of_one_section():
    parsed, problems = read("forced.md")
    assert questions(parsed) == ["웹 서버의 역할", "DNS", "정리란?"]
    assert note(parsed, "DNS").answer == "<ul>\n<li>이름을 주소로 바꾼다.</li>\n</ul>"
    assert problems.items == []
    text = "---\ndeckgen:\n  sections:\n    질의응답: tabel\n---\n\n## 질의응답\n\n- 웹이란?\n  - 문서의 망.\n"
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["웹이란?"]  # detected as usual
    assert [str(d) for d in problems.items] == [
        'note.md:3: warning: front matter: section "질의응답": unknown shape "tabel" (expected one of '
        "bold-bullets, headings, details, qa, lists); detecting it instead"
    ]


def test_a_table_with_a_question_column_gives_a_card_per_answered_row():
    parsed, problems = read("tables.md")
    assert questions(parsed) == ["What is a mutex?"]
    assert note(parsed, "What is a mutex?").answer == "<p>A lock only its owner releases.</p>"
    assert [d.location.line for d in problems.items] == [7, 8, 15]
    assert all("has no answer" in d.message for d in problems.items)


def test_toggles_indented_toggles_and_toggles_that_only_reveal_an_answer():
    parsed, problems = read("toggles.md")
    assert questions(parsed) == [
        "1. 캐시는 왜 쓰나요?", "교착 상태 vs 기아 상태 ?", "페이징을 쓰는 이유", "TCP와 UDP의 차이",
        "스택이란?", "큐란?",
    ]
    # An indented toggle's HTML is HTML, not indented code; its number is the question's own.
    cache = note(parsed, "1. 캐시는 왜 쓰나요?")
    assert "<pre" not in cache.answer and "<p>자주 읽는 데이터를" in cache.answer
    assert "<ol" not in cache.question
    # "정답 보기" only shows the answer: the heading above it asks, however it is worded, and
    # the toggle's body (its headings too) is the answer, without the toggle around it.
    deadlock = note(parsed, "교착 상태 vs 기아 상태 ?").answer
    assert "<h3>교착 상태</h3>" in deadlock and "<h3>기아 상태</h3>" in deadlock and "우선순위에 밀려" in deadlock
    assert "정답 보기" not in deadlock and "<details" not in deadlock
    paging = note(parsed, "페이징을 쓰는 이유")
    assert paging.answer == "<p>외부 단편화 없이 메모리를 나누어 쓰기 위해서다.</p>"
    assert paging.context == "운영체제"  # the headings inside the answer above are no sections
    assert note(parsed, "TCP와 UDP의 차이").answer == "<p>TCP는 연결을 맺고 순서를 보장하며, UDP는 연결 없이 보낸다.</p>"
    # A toggle named for a topic holds sections of the file: its questions stay questions, and
    # the topic is no card of its own.
    assert note(parsed, "스택이란?").answer == "<p>나중에 넣은 것을 먼저 꺼내는 구조.</p>"
    # Toggles that show nothing are no cards.
    assert [str(d) for d in problems.items] == [
        'toggles.md:10: warning: question has no answer (empty or a placeholder); skipped: "2. CDN은 무엇인가요?"',
        'toggles.md:44: warning: question has no answer (empty or a placeholder); skipped: "스와핑이란?"',
    ]


def test_a_bold_question_line_with_its_answer_below_it_in_the_same_paragraph():
    parsed, problems = read("lead_lines.md")
    assert questions(parsed) == ["프로세스와 스레드는 어떻게 다른가요?", "스레드는 왜 쓰나요?",
                                 "교착 상태란 무엇인가요?", "문맥 교환이란?"]
    first = note(parsed, "프로세스와 스레드는 어떻게 다른가요?")
    assert first.answer.startswith("<p>프로세스는 자원을 따로 갖고, 스레드는 한 프로세스의 자원을 나눠 쓴다.</p>")
    assert "멀티 스레드로" not in first.answer  # the unanswered one is no part of the answer above
    assert note(parsed, "스레드는 왜 쓰나요?").parent_key == "프로세스와 스레드는 어떻게 다른가요?"
    assert note(parsed, "교착 상태란 무엇인가요?").answer == "<p>둘 이상의 작업이 서로의 자원을 기다리며 멈춘 상태다.</p>"
    assert note(parsed, "문맥 교환이란?").answer.startswith(
        "<p>CPU가 실행하던 작업의 상태를 저장하고 다른 작업을 불러오는 일이다.</p>")
    assert [str(d) for d in problems.items] == [
        'lead_lines.md:9: warning: sub-question has no answer (empty or a placeholder); skipped: '
        '"멀티 스레드로 무엇을 만들어 봤나요?"',
    ]


def test_spelled_out_labels_headings_in_list_items_and_a_question_that_wraps_in_a_quote():
    parsed, problems = read("labels.md")
    assert questions(parsed) == [
        "WHY DO WE KEEP A VALIDATION SET APART FROM THE TEST SET?", "What does k-fold cross validation do?",
        "Question: Is a bold question with its label kept as it was?", "What is a cookie", "What is CORS",
        "What breaks when the same salt is used for every password in the table?",
    ]
    assert note(parsed, "What does k-fold cross validation do?").answer == (
        "<p>It cuts the data into k parts and holds out each part once.</p>")
    assert note(parsed, "WHY DO WE KEEP A VALIDATION SET APART FROM THE TEST SET?").answer.startswith(
        "<p>So that tuning the model")
    cookie = note(parsed, "What is a cookie").answer
    assert cookie == "<p>A small piece of data the browser keeps for a site.</p>"  # no "Back to Top"
    assert "every password" not in note(
        parsed, "What breaks when the same salt is used for every password in the table?").answer
    assert problems.items == []  # the table of contents' rows are no unanswered questions


def test_numbered_questions_quoted_alone_and_a_quiz_of_numbered_questions_and_answers():
    parsed, problems = read("quiz.md")
    assert questions(parsed) == ["인덱스가 무엇인지 설명해 보세요", "인덱스를 많이 만들면 어떤 문제가 생기나요?",
                                 "정규화를 하는 까닭은 무엇인가?", "기본 키가 가질 수 없는 값은?"]
    assert note(parsed, "인덱스가 무엇인지 설명해 보세요").answer == "<p>찾는 값을 빨리 찾도록 따로 정렬해 둔 자료 구조입니다.</p>"
    normal = note(parsed, "정규화를 하는 까닭은 무엇인가?").answer
    assert normal.startswith("<p>중복을 줄여 이상 현상을 막기 위해<br>") and "해설" in normal and "답:" not in normal
    assert note(parsed, "기본 키가 가질 수 없는 값은?").answer.startswith("<p>NULL")
    assert problems.items == []


def test_bold_follow_ups_that_ask_to_explain_are_sub_questions_with_their_answers():
    parsed, problems = read("follow_ups.md")
    assert questions(parsed) == [
        "트라이는 어떤 자료구조인가요?", "트라이의 시간복잡도는 어떻게 되나요 ?", "트라이의 단점을 설명해 주세요.",
        "해시맵은 어떤 자료구조인가요?", "해시맵과 트리맵을 비교해 주세요.", "힙은 어떤 자료구조인가요?",
    ]
    assert note(parsed, "트라이의 단점을 설명해 주세요.").answer == (
        "<blockquote>\n<p>노드마다 자식 포인터를 가져 메모리를 많이 씁니다.</p>\n</blockquote>")
    assert "트리맵은 키 순서대로" in note(parsed, "해시맵과 트리맵을 비교해 주세요.").answer
    assert "배열을 씁니다" in note(parsed, "힙은 어떤 자료구조인가요?").answer  # a plain item is answer
    assert problems.items == []


def test_the_toggle_that_shows_an_answer_closes_it():
    text = ("**Q1.** Which header says how long a response may be reused?\n\n- A) Content-Type\n- B) Cache-Control\n\n"
            "<details><summary>Answer</summary>B: it carries max-age.</details>\n\n"
            "**Challenge.** Put a cache in front of a small site for a day.\n")
    parsed, _ = parse_text(text)
    answer = note(parsed, "Which header says how long a response may be reused?").answer
    assert "max-age" in answer and "Challenge" not in answer


def test_an_item_that_asks_the_question_again_is_the_answer_where_it_stands():
    text = ("### 캐시란 무엇인가?\n\n1. 캐시 란?\n    - 자주 쓰는 데이터를 빠른 곳에 복사해 두는 것이다.\n\n"
            "2. 캐시의 종류\n    - CPU 캐시와 브라우저 캐시가 있다.\n")
    parsed, _ = parse_text(text)
    assert questions(parsed) == ["캐시란 무엇인가?"]  # no second card asking the same
    answer = note(parsed, "캐시란 무엇인가?").answer
    assert answer.index("자주 쓰는 데이터") < answer.index("캐시의 종류")
    # An answer that names what the question asks about, without asking it, is an answer.
    parsed, _ = parse_text("## 그림이란?\n\n그림\n")
    assert note(parsed, "그림이란?").answer == "<p>그림</p>"


def test_a_toggle_on_the_last_line_of_a_file_with_no_newline_at_its_end():
    parsed, _ = parse_text("<details><summary>What is a cache?</summary>A copy kept close.</details>")
    assert questions(parsed) == ["What is a cache?"]
    parsed, _ = parse_text("Which header says how long to cache?\n\n<details><summary>Answer</summary>Cache-Control."
                           "</details>")
    assert note(parsed, "Which header says how long to cache?").answer == "<p>Cache-Control.</p>"


def test_an_answer_on_the_line_under_a_numbered_question_and_an_example_answer_after_a_hint():
    parsed, problems = read("faq.md")
    assert questions(parsed) == ["과적합이란 무엇인가?", "정규화는 왜 하는가?", "시그모이드의 도함수를 수식으로 나타내보세요",
                                 "로지스틱 회귀의 손실 함수를 설명해주세요."]
    assert note(parsed, "과적합이란 무엇인가?").answer == (
        "<p>학습 데이터에만 지나치게 맞아 새 데이터에서 성능이 떨어지는 현상이다.</p>")
    # The hint is no question and no part of the answer.
    assert note(parsed, "로지스틱 회귀의 손실 함수를 설명해주세요.").answer == "<ul>\n<li>교차 엔트로피를 쓴다.</li>\n</ul>"
    # Lettered lines under a question are its follow-ups, none answered: no answer of it.
    assert [str(d) for d in problems.items] == [
        'faq.md:9: warning: question has no answer (empty or a placeholder); skipped: '
        '"경사 하강법은 어떻게 동작하는가? a. 확률적 경사 하강법과의 차이 b. 학습률을 어떻게 정하는가"',
    ]


def test_a_guide_of_how_to_read_and_a_checklist_are_no_items_of_a_qa_sheet():
    text = "# 검색\n## 읽는 법\n1. 먼저 떠올리세요\n" + "".join(
        f"## Q{n}. 질문 {n}은 무엇인가요?\n설명 {n}이 여기 있다.\n" for n in range(1, 7)) + "## 복습 체크리스트\n- [ ] 다시 말하기\n"
    parsed, _ = parse_text(text)
    assert questions(parsed) == [f"질문 {n}은 무엇인가요?" for n in range(1, 7)]
    parsed, problems = parse_text(text + "## 🔗 See Also\n\n- [다음 장](next.md)\n- [이전 장](prev.md)\n")
    assert problems.items == []  # a page's links onward: no unanswered item


def test_answer_labels_a_quoted_question_under_its_label_and_quoted_follow_ups():
    parsed, problems = read("answer_labels.md")
    assert questions(parsed) == [
        "What is a generator?", "List comprehensions",
        '"How would you design an LRU cache with constant-time get and put?"',
        "캐시란 무엇인가요?", "캐시 히트율이 낮으면 어떻게 하나요?", "JSX란 무엇인가요?",
    ]
    # A heading whose answer begins with its label asks, however it is worded; the label is no
    # part of the answer.
    assert note(parsed, "List comprehensions").answer == "<p>A compact syntax for building lists from an iterable.</p>"
    assert note(parsed, '"How would you design an LRU cache with constant-time get and put?"').answer == (
        "<p>A hash map pointing into a doubly linked list; hits move to the front.</p>")
    follow_up = note(parsed, "캐시 히트율이 낮으면 어떻게 하나요?")
    assert follow_up.parent_key == "캐시란 무엇인가요?"
    assert "만료 시간" in follow_up.answer
    assert note(parsed, "JSX란 무엇인가요?").answer == "<p>자바스크립트 안에 마크업을 쓰는 문법입니다.</p>"
    assert problems.items == []


def test_a_question_quoted_alone_is_answered_below_and_an_empty_template_is_no_answer():
    text = ("# Web\n\n> What does the defer attribute do?\n\n* **Definition:** It runs the script after parsing.\n"
            "* **Why:** Parsing is never blocked.\n\n> What is a service worker?\n* **Definition:**\n* **Why:**\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["What does the defer attribute do?"]
    assert "Parsing is never blocked." in note(parsed, "What does the defer attribute do?").answer
    assert [str(d) for d in problems.items] == [
        'note.md:8: warning: question has no answer (empty or a placeholder); skipped: "What is a service worker?"']


def test_a_heading_worded_as_a_difference_or_a_reason_is_a_topic_over_questions_of_its_own():
    text = ("## 스택과 큐의 차이\n\n### 스택이란?\n\n나중에 넣은 것을 먼저 꺼낸다.\n\n### 큐란?\n\n먼저 넣은 것을 먼저 꺼낸다.\n\n"
            "## TCP와 UDP의 차이\n\nTCP는 연결을 맺고, UDP는 맺지 않는다.\n")
    parsed, _ = parse_text(text)
    assert questions(parsed) == ["스택이란?", "큐란?", "TCP와 UDP의 차이"]
    assert note(parsed, "스택이란?").context == "스택과 큐의 차이"


def test_an_address_alone_is_only_a_link_and_an_empty_reference_field_is_no_answer():
    text = ("1. 지능에 해당하는 기능은?\n[https://chat.example.com/share/abc] [https://chat.example.com/share/def]\n\n"
            "2. 과적합이란?\n학습 데이터에만 맞는 것.\n\n"
            "> What does X do?\n\n* **Definition:**\n* **References:** []()\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["과적합이란?"]
    assert [str(d) for d in problems.items] == [
        'note.md:1: warning: question has no answer (only a link); skipped: "지능에 해당하는 기능은?"',
        'note.md:7: warning: question has no answer (empty or a placeholder); skipped: "What does X do?"',
    ]


def test_bold_question_lines_under_a_topic_item_are_its_questions():
    text = ("- **머신러닝**<br>\n- SVM\n\n  1-1. **SVM이 무엇인가요?** `A 면접` <br>\n  마진이 가장 큰 경계를 찾는 분류기다.\n\n"
            "  1-2. **PCA는 무엇인지 설명하세요.** `B 면접` <br>\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["SVM이 무엇인가요?"]
    assert note(parsed, "SVM이 무엇인가요?").answer == "<p>마진이 가장 큰 경계를 찾는 분류기다.</p>"
    assert [str(d) for d in problems.items] == [
        'note.md:7: warning: question has no answer (empty or a placeholder); skipped: "PCA는 무엇인지 설명하세요."']


def test_a_bold_question_nested_under_a_label_in_an_answer_is_a_sub_question():
    text = ("- **자바의 예외 처리에 대해 설명해주세요.**\n\n  - **Checked 예외**\n\n    > 컴파일러가 처리를 강제하는 예외입니다.\n\n"
            "    - **왜 Checked 예외를 남용하면 안 되나요?**\n\n      > throws가 번져 코드가 지저분해집니다.\n\n"
            "  - **Unchecked 예외**\n\n    > RuntimeException을 상속합니다.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["자바의 예외 처리에 대해 설명해주세요.", "왜 Checked 예외를 남용하면 안 되나요?"]
    parent = note(parsed, "자바의 예외 처리에 대해 설명해주세요.").answer
    assert "컴파일러가 처리를 강제하는" in parent and "RuntimeException" in parent
    assert note(parsed, "왜 Checked 예외를 남용하면 안 되나요?").answer == (
        "<blockquote>\n<p>throws가 번져 코드가 지저분해집니다.</p>\n</blockquote>")
    assert problems.items == []


def test_a_toggle_in_a_numbered_item_holds_text_where_the_item_does_not_code():
    text = ("1. 호이스팅이란?\n    <details>\n    <summary>정답</summary>\n\n    선언이 `끌어올려진` 것처럼 동작한다.\n\n"
            "       hoisted();\n\n    </details>\n\n"
            "2. 클로저란?\n   <details><summary>정답</summary>\n\n   함수가 **선언된** 환경을 기억한다.\n\n   </details>\n\n"
            "<details><summary>스코프란?</summary>\n\n    scope = {}\n\n식별자가 유효한 범위.\n\n</details>\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["호이스팅이란?", "클로저란?", "스코프란?"]
    # The page reads the toggle's paragraphs as the item's text: indented as far as it is, they
    # are no code; code is what stands four spaces further in than the item's text.
    assert note(parsed, "호이스팅이란?").answer == (
        "<p>선언이 <code>끌어올려진</code> 것처럼 동작한다.</p>\n<pre><code>hoisted();\n</code></pre>")
    assert note(parsed, "클로저란?").answer == "<p>함수가 <strong>선언된</strong> 환경을 기억한다.</p>"
    # In no list, four spaces in is code, as before.
    assert note(parsed, "스코프란?").answer.startswith("<pre><code>scope = {}")
    assert problems.items == []


def test_an_answer_that_only_asks_more_questions_answers_none_of_them():
    text = ("# CV\n\n- 1-1. CNN을 왜 쓰나요?\n\n  1-2. 풀링은 왜 하나요?\n\n  1-3. 패딩을 설명해주세요\n  1-4. 스트라이드란?\n\n"
            "- 2-1. 드롭아웃이란?\n\n  뉴런을 무작위로 끄는 기법이다.\n\n  2-2. 테스트 때는 어떻게 하나요?\n\n"
            "- 3-1. 이 스크립트는 왜 2를 출력하지 않나요?\n\n  Should be x=2\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["2-1. 드롭아웃이란?", "3-1. 이 스크립트는 왜 2를 출력하지 않나요?"]
    # A statement after a question is an answer, whatever word it opens with.
    assert note(parsed, "3-1. 이 스크립트는 왜 2를 출력하지 않나요?").answer == "<p>Should be x=2</p>"
    assert "뉴런을 무작위로" in note(parsed, "2-1. 드롭아웃이란?").answer
    assert [str(d) for d in problems.items] == [
        'note.md:3: warning: question has no answer (empty or a placeholder); skipped: "1-1. CNN을 왜 쓰나요?"',
        'note.md:5: warning: follow-up question has no answer; skipped: "1-2. 풀링은 왜 하나요?"',
        'note.md:7: warning: follow-up question has no answer; skipped: "1-3. 패딩을 설명해주세요"',
        'note.md:8: warning: follow-up question has no answer; skipped: "1-4. 스트라이드란?"',
    ]


def test_numbered_prompts_marked_as_questions_and_query_tasks_are_questions():
    text = ("# Concurrency\n\n**1. Q: What is a mutex?**\n*   **A:** A lock one thread owns at a time.\n\n"
            "**2. Q: Explain the difference between a mutex and a semaphore.**\n*   **A:** A semaphore counts.\n\n"
            "## Queries\n\n**1. Select every employee in Sales.**\n```sql\nSELECT * FROM emp WHERE dept = 'Sales';\n```\n\n"
            "**2. Count the employees in each department.**\n```sql\nSELECT dept, COUNT(*) FROM emp GROUP BY dept;\n```\n")
    parsed, problems = parse_text(text)
    # The first question reads as it always did (its words are its identity in the lock).
    assert questions(parsed) == ["Q: What is a mutex?", "Q: Explain the difference between a mutex and a semaphore.",
                                 "Select every employee in Sales.", "Count the employees in each department."]
    assert "semaphore" not in note(parsed, "Q: What is a mutex?").answer
    assert "GROUP" not in note(parsed, "Select every employee in Sales.").answer
    assert problems.items == []


def test_numbered_bold_follow_ups_that_ask_to_explain_in_a_second_sentence_are_sub_questions():
    text = ("- 1-0. **편향이란 무엇인가요?**\n\n  추정값의 평균과 참값의 차이다.\n\n  1-1. **분산이란 무엇인가요?**\n\n"
            "    추정값이 흩어진 정도다.\n\n  1-2. **MSE란 무엇인가요? 그리고 편향, 분산과의 관계를 설명하시오.**\n\n"
            "    MSE는 편향의 제곱과 분산의 합이다.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["편향이란 무엇인가요?", "분산이란 무엇인가요?",
                                 "MSE란 무엇인가요? 그리고 편향, 분산과의 관계를 설명하시오."]
    assert note(parsed, "MSE란 무엇인가요? 그리고 편향, 분산과의 관계를 설명하시오.").answer == (
        "<p>MSE는 편향의 제곱과 분산의 합이다.</p>")
    assert "MSE는" not in note(parsed, "분산이란 무엇인가요?").answer
    assert problems.items == []


def test_a_toggle_that_only_links_to_other_pages_is_no_card():
    text = ("## 네트워크\n\n<details>\n  <summary>TCP vs UDP</summary>\n  <ul>\n    <li><a href=\"./net/tcp.md\">TCP</a></li>\n"
            "    <li><a href=\"./net/udp.md\">UDP</a></li>\n  </ul>\n</details>\n\n"
            "<details>\n  <summary>HTTP란?</summary>\n  <ul><li><a href=\"./net/http.md\"><img src=\"https://example.com/http.png\"></a></li></ul>\n"
            "</details>\n\n<details>\n  <summary>DNS란?</summary>\n  <p>이름을 주소로 바꾼다. <a href=\"./net/dns.md\">더 보기</a></p>\n</details>\n")
    parsed, problems = parse_text(text)
    # A picture is an answer, link or not, and so are words beside a link.
    assert questions(parsed) == ["HTTP란?", "DNS란?"]
    assert [str(d) for d in problems.items] == [
        'note.md:4: warning: question has no answer (only a link); skipped: "TCP vs UDP"']


@pytest.mark.parametrize("lead", ["Q. ", ""])
def test_a_question_on_the_line_after_a_toggle_is_read(lead):
    before = "Q. 스택이란?\n\nA. 나중에 넣은 것을 먼저 꺼낸다.\n\n" if lead else ""
    text = (f"{before}{lead}트랜잭션이란?\n<details><summary>정답\n</summary>\n논리적 작업의 단위입니다.\n</details>\n"
            f"{lead}ACID의 A는 무엇인가요?\n\n<details><summary>정답</summary>\n\n원자성입니다.\n\n</details>\n")
    parsed, problems = parse_text(text)
    # Markdown reads the second question into the first toggle's HTML; the page shows it as text.
    assert questions(parsed)[-2:] == ["트랜잭션이란?", "ACID의 A는 무엇인가요?"]
    assert note(parsed, "트랜잭션이란?").answer == "<p>논리적 작업의 단위입니다.</p>"
    assert note(parsed, "ACID의 A는 무엇인가요?").answer == "<p>원자성입니다.</p>"
    assert note(parsed, "ACID의 A는 무엇인가요?").location.line == (10 if lead else 6)
    assert parsed.shape == ("qa" if lead else "details") and problems.items == []


def test_a_line_that_asks_answered_by_a_labelled_answer_below_it():
    text = ("# Cluster basics\n(1) What is a pod?\n\nAns: The smallest deployable unit.\n\n"
            "(2) What is a node?\n\nAns. A worker machine.\n\nIt runs pods.\n\nWhy run a cluster at all?\n\nTo share machines.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["(1) What is a pod?", "(2) What is a node?"]
    assert note(parsed, "(1) What is a pod?").answer == "<p>The smallest deployable unit.</p>"
    # A line that asks with no label under it is part of the answer it stands in.
    assert note(parsed, "(2) What is a node?").answer == (
        "<p>A worker machine.</p>\n<p>It runs pods.</p>\n<p>Why run a cluster at all?</p>\n<p>To share machines.</p>")
    assert problems.items == []


def test_a_topic_label_and_the_first_question_line_under_it_in_one_paragraph():
    text = ("- **확률**<br><br>\n  1-1. **베이즈 정리를 설명하시오** <br>\n  사전확률과 가능도로 사후확률을 구한다.\n\n"
            "  1-2. **MLE를 설명하시오** <br>\n  가능도를 최대화하는 모수를 찾는다.\n\n"
            "- **통계**<br>\n  1-1. **p-value란?** <br>\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["베이즈 정리를 설명하시오", "MLE를 설명하시오"]
    first = note(parsed, "베이즈 정리를 설명하시오")
    assert first.answer == "<p>사전확률과 가능도로 사후확률을 구한다.</p>" and first.context == "확률"
    assert note(parsed, "MLE를 설명하시오").context == "확률"
    assert [str(d) for d in problems.items] == [
        'note.md:9: warning: question has no answer (empty or a placeholder); skipped: "p-value란?"']


def test_a_question_quoted_in_an_answer_is_answered_up_to_the_next_part_of_that_answer():
    text = ("# this의 의미를 설명해주세요.\n\n## 전역 범위\n\n> window 객체란?\n\n- 브라우저의 전역 객체이다.\n\n"
            "### 예\n\n- `this === window`\n\n## 함수 범위\n\n- 호출 방식에 따라 this가 달라진다.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["this의 의미를 설명해주세요.", "window 객체란?"]
    # Its answer runs on through its part's own sub-headings, not into the next part.
    window = note(parsed, "window 객체란?").answer
    assert "브라우저의 전역 객체" in window and "<h3>예</h3>" in window and "함수 범위" not in window
    assert "호출 방식에 따라" in note(parsed, "this의 의미를 설명해주세요.").answer
    assert problems.items == []


def test_code_between_a_question_and_its_labelled_answer_is_part_of_the_question():
    text = ("Q1. 아래 코드의 출력은 무엇인가요?\n\n```js\nconsole.log(typeof null);\n```\n\nA. \"object\"가 출력됩니다.\n\n"
            "Q2. 클로저란 무엇인가요?\n\n함수가 선언된 환경을 기억하는 함수입니다.\n\n```js\nconst f = () => x;\n```\n")
    parsed, problems = parse_text(text)
    first = note(parsed, "아래 코드의 출력은 무엇인가요?")
    assert first.question.startswith("아래 코드의 출력은 무엇인가요?<pre") and "typeof" in first.question
    assert first.answer == "<p>&quot;object&quot;가 출력됩니다.</p>"
    # With no label, the code after the answer's words is the answer's.
    second = note(parsed, "클로저란 무엇인가요?")
    assert second.question == "클로저란 무엇인가요?" and "const" in second.answer
    assert problems.items == []


def test_a_question_under_a_question_label_heading_answered_under_an_answer_label_heading():
    text = ("## OS\n\n### 질문\n페이지 폴트란?\n\n```c\n*p = 1;\n```\n\n### 답변\n접근한 페이지가 메모리에 없을 때 생기는 인터럽트다.\n\n"
            "#### 예\n- 스왑된 페이지를 읽을 때\n\n## JS\n\n### Question\nWhat is a closure?\n\n### Answer\n\n## 정리\n\n끝.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["페이지 폴트란?"]
    fault = note(parsed, "페이지 폴트란?")
    assert "language-c" in fault.question  # what stands under the question's label is the question's
    assert fault.tags == ("os",)
    assert fault.answer.startswith("<p>접근한 페이지가") and "스왑된 페이지" in fault.answer and "끝." not in fault.answer
    assert [str(d) for d in problems.items] == [
        'note.md:19: warning: question has no answer (empty or a placeholder); skipped: "What is a closure?"']


def test_headings_a_bold_question_is_answered_under_are_its_answer_not_sections():
    text = ("# ML\n\n## Algorithms\n\n**Q1 What is bias?**\n\nError from wrong assumptions.\n\n"
            "**Q2 How is KNN different from k-means?**\n\n##### KNN\nA supervised classifier.\n\n##### K-means\n"
            "An unsupervised clustering.\n\n**Q3 What is variance?**\n\nError from sensitivity to noise.\n\n"
            "## Statistics\n\n### Tests\n\n**Q4 What is a p-value?**\n\nThe chance of data this extreme.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["What is bias?", "How is KNN different from k-means?", "What is variance?",
                                 "What is a p-value?"]
    knn = note(parsed, "How is KNN different from k-means?").answer
    assert "<h5>KNN</h5>" in knn and "unsupervised clustering" in knn and "sensitivity" not in knn
    assert note(parsed, "What is variance?").context == "Algorithms"  # not under "K-means"
    # A heading with only questions under it is a section of the file.
    assert note(parsed, "What is a p-value?").context == "Statistics › Tests"
    assert problems.items == []


def test_a_toggle_with_an_empty_summary_under_a_question_shows_its_answer():
    text = ("#### 불변 객체를 쓰는 이유\n<details>\n  <summary></summary>\n\n  * 스레드 안전하다.\n</details>\n\n"
            "#### 캡슐화란?\n<details>\n  <summary>답변</summary>\n\n  * 내부 상태를 숨기는 것\n</details>\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["불변 객체를 쓰는 이유", "캡슐화란?"]
    assert note(parsed, "불변 객체를 쓰는 이유").answer == "<ul>\n<li>스레드 안전하다.</li>\n</ul>"
    assert problems.items == []


def test_a_list_of_questions_answered_item_by_item_by_the_list_below_it():
    text = ("## 모의면접\nQ_질문\n\n- 1. state에 대해 설명해 주세요\n- 2. props란 무엇인가요?\n- 3. 훅의 규칙은 무엇인가요?\n\n"
            "A_답변\n\n1. 컴포넌트가 가진 상태 값입니다.\n2. 부모가 자식에게 넘기는 읽기 전용 값입니다.\n3. 최상위에서만 호출합니다.\n\n"
            "## 더 볼 질문\n\n- 1. 리렌더링은 언제 일어나나요?\n- 2. 키는 왜 필요한가요?\n- 3. 메모는 언제 쓰나요?\n\n"
            "- 다음 주에 정리하기\n- 예제 코드 올리기\n\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["state에 대해 설명해 주세요", "props란 무엇인가요?", "훅의 규칙은 무엇인가요?"]
    assert note(parsed, "props란 무엇인가요?").answer == "<p>부모가 자식에게 넘기는 읽기 전용 값입니다.</p>"
    # A list below that is not as long is no answer key: those questions stay unanswered.
    assert len(problems.items) == 3 and all("has no answer" in str(d) for d in problems.items)


def test_a_list_below_a_question_list_answers_it_only_when_labelled_or_numbered_alike():
    text = ("- 리렌더링은 언제 일어나나요?\n- 키는 왜 필요한가요?\n- 메모는 언제 쓰나요?\n\n"
            "- 다음 주에 정리하기\n- 예제 코드 올리기\n- 발표 준비하기\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == [] and len(problems.items) == 3
    numbered = "1. 스택이란?\n2. 큐란?\n3. 덱이란?\n\n정리\n\n1. 후입선출 구조.\n2. 선입선출 구조.\n3. 양쪽에서 넣고 빼는 구조.\n"
    parsed, problems = parse_text(numbered)
    assert note(parsed, "큐란?").answer == "<p>선입선출 구조.</p>" and problems.items == []


def test_a_follow_up_answered_after_an_arrow_on_its_next_line_is_a_sub_question():
    text = ("## Q1. 캐시란 무엇인가요?\n\n자주 쓰는 데이터를 빠른 저장소에 두는 것입니다.\n\n### 꼬리 질문 대비\n"
            "- \"캐시 일관성은 어떻게 유지하나요?\"\n  → TTL과 쓰기 시 무효화로 유지합니다.\n"
            "- 캐시가 가득 차면 어떻게 되나요?\n  LRU 같은 정책으로 뺄 것을 고릅니다.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["캐시란 무엇인가요?", '"캐시 일관성은 어떻게 유지하나요?"']
    assert note(parsed, '"캐시 일관성은 어떻게 유지하나요?"').answer == "<p>TTL과 쓰기 시 무효화로 유지합니다.</p>"
    # Without the arrow, the lines under a question in one item are one paragraph of the answer.
    assert "LRU 같은 정책으로" in note(parsed, "캐시란 무엇인가요?").answer
    assert problems.items == []


@pytest.mark.parametrize("between", ["", "\n"])
def test_a_follow_up_toggle_holds_a_sub_question_answered_by_the_toggle_inside_it(between):
    text = ("1. 이벤트 루프란 무엇인가?\n    <details>\n    <summary>정답</summary>\n\n    콜 스택이 비면 콜백을 꺼내 실행한다.\n\n"
            f"    </details>\n{between}    <details>\n    <summary>꼬리 질문</summary>\n\n"
            "    마이크로태스크와 매크로태스크의 실행 순서를 설명하시오.\n\n    <details>\n    <summary>정답</summary>\n\n"
            "    마이크로태스크 큐가 먼저 비워진다.\n\n    </details>\n    </details>\n\n2. 호이스팅이란?\n    <details>\n"
            "    <summary>정답</summary>\n\n    선언이 끌어올려진 것처럼 동작한다.\n\n    </details>\n")
    parsed, problems = parse_text(text)
    follow_up = "마이크로태스크와 매크로태스크의 실행 순서를 설명하시오."
    assert questions(parsed) == ["이벤트 루프란 무엇인가?", follow_up, "호이스팅이란?"]
    assert note(parsed, follow_up).answer == "<p>마이크로태스크 큐가 먼저 비워진다.</p>"
    assert note(parsed, follow_up).parent_key == "이벤트 루프란 무엇인가?"
    parent = note(parsed, "이벤트 루프란 무엇인가?").answer
    assert parent.startswith("<p>콜 스택이 비면 콜백을 꺼내 실행한다.</p>") and "<details" not in parent
    assert problems.items == []


def test_an_answer_of_one_line_that_asks_is_still_an_answer():
    text = "- **캐시는 왜 빠른가요?**\n\n  CPU 가까이에 있어 한 번에 닿기 때문이 아닐까요?\n"
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["캐시는 왜 빠른가요?"] and problems.items == []


def test_a_sheet_of_numbered_bold_italic_prompts_with_a_placeholder_answer():
    text = ("# Java\n\n***1. What is Java?***\n* A language that runs on the JVM.\n\n***2. Explain the JIT.***\n"
            "* It compiles hot bytecode to machine code.\n\n***3. C++ vs Java***\n* Java manages memory itself.\n\n"
            "***4. JRE Architecture***\n\n**Incomplete**\n\n***5. Why is bytecode portable?***\n* Every JVM reads it.\n\n"
            "***6. What is a JVM?***\n* The machine that runs bytecode.\n")
    parsed, problems = parse_text(text)
    # Among numbered prompts that mostly ask, "C++ vs Java" is one of them; a placeholder is no answer.
    assert questions(parsed) == ["What is Java?", "Explain the JIT.", "C++ vs Java", "Why is bytecode portable?",
                                 "What is a JVM?"]
    assert note(parsed, "What is Java?").question == "What is Java?"  # bold italics mark the question
    assert [str(d) for d in problems.items] == [
        'note.md:12: warning: question has no answer (empty or a placeholder); skipped: "JRE Architecture"']


def test_a_question_shown_as_a_line_of_code_above_an_ans_toggle():
    text = ("## ML\n\n\tGive me an example where MLE is equivalent to MAP\n\n <details>\n<summary>ANS</summary>\n<div>\n"
            " With a uniform prior.\n</div>\n</details>\n\n\tHow to pick between L1 and L2 loss?\n\t\n <details>\n"
            "<summary>ANS</summary>\n<div>\n L2 unless there are outliers.\n</div>\n</details>\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["Give me an example where MLE is equivalent to MAP", "How to pick between L1 and L2 loss?"]
    assert "uniform prior" in note(parsed, "Give me an example where MLE is equivalent to MAP").answer
    assert problems.items == []


def test_a_command_under_a_question_in_a_list_of_questions_answers_it():
    text = ("- What is a layer?\n- What is a volume?\n- What is a registry?\n"
            "- What are best practices for containers?\n- Name some limits of containers\n- Is it good to run databases in them?\n"
            "- Is it possible to generate a Dockerfile from an image\n  - `$ docker history --no-trunc <IMAGE_ID>`\n"
            "- What is an orphan volume?\n  - How do you remove it?\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["Is it possible to generate a Dockerfile from an image"]
    assert "docker history" in note(parsed, "Is it possible to generate a Dockerfile from an image").answer
    assert len(problems.items) == 7  # the others are unanswered


def test_a_quoted_request_to_explain_in_an_answer_is_a_sub_question():
    text = ("## DI 종류는 무엇이 있나요?\n- 생성자, 세터, 필드 주입이 있다.\n\n> 필드 주입과 생성자 주입의 장단점을 설명해 주세요.\n"
            "- 생성자 주입은 불변성을 보장한다.\n\n> 항상 생성자 주입을 쓰세요.\n")
    parsed, problems = parse_text(text)
    assert questions(parsed) == ["DI 종류는 무엇이 있나요?", "필드 주입과 생성자 주입의 장단점을 설명해 주세요."]
    assert note(parsed, "필드 주입과 생성자 주입의 장단점을 설명해 주세요.").answer.startswith(
        "<ul>\n<li>생성자 주입은 불변성을 보장한다.</li>\n</ul>")
    assert problems.items == []


def test_code_that_does_not_ask_above_an_answer_toggle_is_no_question():
    text = "다음 코드의 결과는?\n\n    print(1 + 1)\n\n<details><summary>정답</summary>\n\n2가 출력된다.\n\n</details>\n"
    parsed, problems = parse_text(text)
    assert "print(1 + 1)" not in questions(parsed)
