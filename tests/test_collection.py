"""A community interview collection, pointed at unchanged: exactly the questions a reader sees.

The fixture `collection/` is laid out like the collections published on GitHub and GitBook: a
SUMMARY.md and README at the top, `answers/N-topic.md` files that each open with a table of
contents of question links (sub-questions nested under their question) followed by `## #n`
sections holding the question as a heading, the answer and its References; images beside the
files and at the repository root; math in dollars and in older TeX-comment-plus-image form.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.media import Media
from deckgen.model import BuildConfig, SourceFile
from deckgen.parse import parse_file
from tests.conftest import FIXTURES, assert_golden

GOLDEN = Path(__file__).resolve().parent / "golden" / "collection.json"
REMOTE = '[remote "origin"]\n\turl = https://github.com/example/interview.git\n'


def make_collection(dest: Path, git: bool = True) -> Path:
    """Copy the fixture collection as a checkout of github.com/example/interview; return its answers/."""
    root = dest / "collection"
    shutil.copytree(FIXTURES / "collection", root)
    if git:
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text(REMOTE, encoding="utf-8")
    return root / "answers"


@pytest.fixture
def built(tmp_path, monkeypatch):
    """Parse the collection the way `deckgen build collection/answers` does."""
    monkeypatch.chdir(tmp_path)
    answers = make_collection(tmp_path)
    problems = Problems()
    _, files, media = collect(BuildConfig(sources=(Path("collection/answers"),), outdir=tmp_path), problems)
    return files, problems, media, answers


def notes_of(files):
    return {n.question_text: n for f in files for n in f.notes}


def warnings(problems) -> list[str]:
    return [str(d) for d in problems.items]


def test_collection_matches_golden(built):
    files, problems, media, _ = built
    got = {
        "files": [
            {
                "rel": f.source.rel,
                "title": f.title,
                "shape": f.shape,
                "skipped": f.skipped,
                "notes": [
                    {"question": n.question, "answer": n.answer, "context": n.context,
                     "location": str(n.location), "anchor": n.anchor}
                    for n in f.notes
                ],
            }
            for f in files
        ],
        "media": sorted(media.files),
        "diagnostics": warnings(problems),
    }
    assert_golden(GOLDEN, got)


def test_exactly_the_answered_questions_with_sub_questions_under_their_parents(built):
    files, _, _, _ = built
    assert [len(f.notes) for f in files] == [4, 8, 3]
    assert [f.skipped for f in files] == [0, 3, 1]
    notes = notes_of(files)
    relu = "요즘 Sigmoid 보다 ReLU를 많이 쓰는데 그 이유는? (기울기 소실과 연산량 관점에서)"
    assert notes["Non-Linearity라는 말의 의미와 그 필요성은?"].context == relu
    assert notes["ReLU로 어떻게 곡선 함수를 근사하나?"].context == relu
    assert notes["GD 중에 때때로 Loss가 증가하는 이유는?"].context == "Gradient Descent에 대해서 쉽게 설명한다면?"
    assert notes["What does each thread own?"].context == "What is the difference between a Process and a Thread?"
    assert notes["What does each thread own?"].parent_key == "#1"
    assert sum(1 for n in notes.values() if n.context) == 4
    # The blockquote notices above the table of contents ask nothing.
    assert not any("빠졌나요" in q or "Notice" in q for q in notes)


def test_the_question_heading_is_the_question_and_never_part_of_the_answer(built):
    files, _, _, _ = built
    notes = notes_of(files)
    # The author's full wording wins over the table of contents' shorter text (case, parenthetical).
    assert "요즘 sigmoid 보다 ReLU를 많이 쓰는데 그 이유는?" not in notes
    eigen = notes["고유값(Eigen Value)와 고유벡터(Eigen Vector)에 대해 설명해주세요. 그리고 왜 중요할까요?"]
    assert "설명해주세요" not in eigen.answer and "<h3" not in eigen.answer
    # A section without a question heading takes the table of contents' text.
    assert notes["Dropout의 효과는?"].answer.startswith("<p>미니배치마다")
    for note in notes.values():
        assert not re.search(r"<h\d|<hr", note.answer), note.question_text


def test_references_stay_with_the_answer_in_small_print(built):
    files, _, _, _ = built
    notes = notes_of(files)
    labels = {  # heading, bold paragraph, plain paragraph, `label: link`, `참고 자료`, `**참고**`
        "딥러닝은 무엇인가요? 딥러닝과 머신러닝의 차이는?": "<p>References</p>",
        "요즘 Sigmoid 보다 ReLU를 많이 쓰는데 그 이유는? (기울기 소실과 연산량 관점에서)": "<strong>References</strong>",
        "Dropout의 효과는?": "<p>ref</p>",
        "고유값(Eigen Value)와 고유벡터(Eigen Vector)에 대해 설명해주세요. 그리고 왜 중요할까요?": "출처:",
        "확률 모형과 확률 변수는 무엇인가요?": "<p>참고 자료</p>",
        "베이즈 정리란 무엇인가요?": "<strong>참고</strong>",
        "What is a deadlock?": "<p>References</p>",
    }
    answer_texts = {n.question_text: n.answer_text for f in files for n in parse_file(
        replace(f.source, text=f.source.path.read_text(encoding="utf-8")), Problems(), shape=f.shape).notes}
    for question, label in labels.items():
        answer = notes[question].answer
        body, refs = answer.split('<div class="dg-refs">')
        assert label in refs and "href=" in refs, question
        assert refs.endswith("</div>") and answer.count("dg-refs") == 1
        assert body.strip() and "References" not in body
        # References are not what the card is matched by when the collection changes: the text
        # its answer's sketch is made of (a build keeps the sketch, not the text) leaves them out.
        assert "wikipedia" not in answer_texts[question]
    assert "dg-refs" not in notes["Gradient Descent에 대해서 쉽게 설명한다면?"].answer


def test_empty_and_references_only_sections_are_placeholders_warned_at_their_line(built):
    _, problems, _, _ = built
    skipped = [w for w in warnings(problems) if "has no answer" in w]
    assert sorted(skipped) == sorted([
        ("collection/answers/3-deep-learning.md:74: warning: sub-question has no answer (only references); "
         'skipped: "ReLU의 문제점은?"'),
        ("collection/answers/3-deep-learning.md:114: warning: question has no answer (empty or a placeholder); "
         'skipped: "볼츠만 머신은 무엇인가요?"'),
        ("collection/answers/3-deep-learning.md:122: warning: question has no answer (empty or a placeholder); "
         'skipped: "Batch Normalization의 효과는?"'),
        ("collection/answers/10-operating-systems.md:30: warning: question has no answer (only references); "
         'skipped: "What is virtual memory?"'),
    ])


def test_links_to_questions_become_plain_text_naming_the_question(built):
    files, _, _, _ = built
    notes = notes_of(files)
    for note in notes.values():
        hrefs = re.findall(r'href="([^"]*)"', note.answer)
        assert all(h.startswith("https://") for h in hrefs), (note.question_text, hrefs)
    first = notes["딥러닝은 무엇인가요? 딥러닝과 머신러닝의 차이는?"].answer
    # `[#2](#2)` and `[여기](./1-statistics-math.md#1)` say nothing alone: the question is named.
    assert "딥러닝은 “요즘 Sigmoid 보다 ReLU를 많이 쓰는데 그 이유는? (기울기 소실과 연산량 관점에서)”에서" in first
    assert "배경은 “고유값(Eigen Value)와 고유벡터(Eigen Vector)에 대해 설명해주세요. 그리고 왜 중요할까요?”를" in first
    curve = notes["ReLU로 어떻게 곡선 함수를 근사하나?"].answer
    assert "“Non-Linearity라는 말의 의미와 그 필요성은?”과 이전 질문을" in curve  # meaningful text stays
    bayes = notes["베이즈 정리란 무엇인가요?"].answer
    assert "예시는 딥러닝의 첫 질문과 “Deep Learning”를 보라." in bayes  # a file named by its title
    deadlock = notes["What is a deadlock?"].answer
    assert "Compare with virtual memory and “What is the difference between a Process and a Thread?”." in deadlock
    assert "See also this question." in notes["What is the difference between a Process and a Thread?"].answer


def test_a_parse_records_the_files_its_links_named(built):
    files, _, _, _ = built
    by_rel = {f.source.rel: f for f in files}
    assert [Path(p).name for p, *_ in by_rel["3-deep-learning.md"].depends] == ["1-statistics-math.md"]
    assert [Path(p).name for p, *_ in by_rel["1-statistics-math.md"].depends] == ["3-deep-learning.md"]
    assert by_rel["10-operating-systems.md"].depends == ()


def test_math_is_typeset_and_service_images_are_dropped(built):
    files, problems, _, _ = built
    notes = notes_of(files)
    eigen = notes["고유값(Eigen Value)와 고유벡터(Eigen Vector)에 대해 설명해주세요. 그리고 왜 중요할까요?"].answer
    assert '<div class="math block">\\[\\det(A - \\lambda I) = 0\\]</div>' in eigen
    assert "<p align" not in eigen  # the centring paragraph held only the dropped image
    model = notes["확률 모형과 확률 변수는 무엇인가요?"].answer
    assert '<span class="math inline">\\(X: \\Omega \\to \\mathbb{R}\\)</span>  처럼' in model
    assert model.count("\\binom{n}{x}") == 1
    cdf = notes["누적 분포 함수와 확률 밀도 함수는 무엇인가요?"].answer
    # No comment beside them: the TeX comes from the service URL (inline in a sentence, block alone).
    assert '확률 <span class="math inline">\\(F(x) = P(X \\le x)\\)</span> 이고' in cdf
    assert '<div class="math block">\\[f(x) = \\frac{dF(x)}{dx}\\]</div>' in cdf
    relu = notes["요즘 Sigmoid 보다 ReLU를 많이 쓰는데 그 이유는? (기울기 소실과 연산량 관점에서)"].answer
    assert "\\(\\frac{1}{4}\\)" in relu and "\\[\\text{ReLU}(x) = \\max(0, x)\\]" in relu
    for note in notes.values():
        assert "render/math" not in note.answer and "codecogs" not in note.answer
    assert not any("render/math" in w or "codecogs" in w for w in warnings(problems))


def test_images_resolve_to_packaged_media(built):
    files, problems, media, answers = built
    assert answers.is_dir()
    root = answers.parent.resolve()
    assert {name: path.relative_to(root).as_posix() for name, path in media.files.items()} == {
        "relu-f35f9cf53a60.png": "images/relu.png",
        "sigmoid-a55041640975.png": "images/sigmoid.png",
        "gradient-descent-13d98d2903d6.png": "answers/img/gradient descent.png",
    }
    notes = notes_of(files)
    first = notes["딥러닝은 무엇인가요? 딥러닝과 머신러닝의 차이는?"].answer
    assert '<div align="center"><img src="relu-f35f9cf53a60.png" width="60%"></div>' in first  # `/images/…`
    relu = notes["요즘 Sigmoid 보다 ReLU를 많이 쓰는데 그 이유는? (기울기 소실과 연산량 관점에서)"].answer
    assert '<img src="relu-f35f9cf53a60.png" alt="ReLU 그래프">' in relu  # `../images/…`
    assert '<img src="sigmoid-a55041640975.png" alt="sigmoid">' in relu  # a blob URL into this repository
    gd = notes["Gradient Descent에 대해서 쉽게 설명한다면?"].answer
    assert '<img src="gradient-descent-13d98d2903d6.png">' in gd
    assert '<a class="remote-image" href="https://github.com/other/repo/blob/main/images/relu.png">' in gd
    assert "collection/answers/3-deep-learning.md:92: warning: image with an empty source; dropped" in warnings(problems)


def test_root_images_resolve_against_media_root_without_a_git_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answers = make_collection(tmp_path, git=False)
    (answers / "deckgen.toml").write_text('media_root = ".."\n', encoding="utf-8")
    problems = Problems()
    _, _, media = collect(BuildConfig(sources=(Path("collection/answers"),), outdir=tmp_path), problems)
    assert "relu-f35f9cf53a60.png" in media.files
    assert not problems.errors
    # Without a remote to tell which repository it is, a blob URL whose file is here is used too.
    assert "sigmoid-a55041640975.png" in media.files


def test_github_urls_resolve_only_into_the_same_repository(tmp_path):
    answers = make_collection(tmp_path)
    media = Media(answers, Problems())
    assert media.repo == answers.parent
    local = answers.parent / "images" / "relu.png"
    for url in (
        "https://github.com/example/interview/blob/main/images/relu.png",
        "https://github.com/Example/Interview/raw/master/images/relu.png",
        "https://github.com/example/interview/blob/main/images/relu.png?raw=true",
        "https://raw.githubusercontent.com/example/interview/main/images/relu.png",
    ):
        assert media.local_file(url) == local.resolve(), url
    for url in (
        "https://github.com/other/repo/blob/main/images/relu.png",
        "https://github.com/example/interview/blob/main/images/missing.png",
        "https://example.com/images/relu.png",
    ):
        assert media.local_file(url) is None, url


def test_titles_come_from_the_summary_and_numeric_prefixes_only_order(built):
    files, _, _, _ = built
    assert [(f.source.rel, f.title) for f in files] == [
        ("1-statistics-math.md", "통계와 수학"),  # SUMMARY.md, not the README's "바로가기"
        ("3-deep-learning.md", "딥러닝"),  # not its own "# Deep Learning"
        ("10-operating-systems.md", "operating-systems"),  # no title anywhere: the name, unnumbered
    ]


def parse_text(text: str, tmp_path: Path, name: str = "note.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    source = SourceFile(path=path, rel=name, display=name, text=text)
    return parse_file(source, problems, media=Media(tmp_path, problems)), problems


def test_tex_comment_and_service_image_pairs_in_every_layout(tmp_path):
    url = "https://render.githubusercontent.com/render/math?math=x%5E2"
    text = f"""- [첫째 질문은?](#1)
- [둘째 질문은?](#2)
- [셋째 질문은?](#3)
- [넷째 질문은?](#4)

## #1

### 첫째 질문은?

<!-- $$x^2$$ -->

<p align="center">
  <img src="{url}">
</p>

## #2

### 둘째 질문은?

값은 <img src="{url}"> <!-- $x^2$ --> 이다.

## #3

### 셋째 질문은?

<!-- $x^2$ -->
![]({url})

## #4

### 넷째 질문은?

숨겨 둔 식 <!-- $y$ --> 과 그림 ![식]({url}) 은 따로 있다.
"""
    parsed, problems = parse_text(text, tmp_path)
    answers = [n.answer for n in parsed.notes]
    assert answers[0] == '<div class="math block">\\[x^2\\]</div>'
    assert answers[1] == '<p>값은 <span class="math inline">\\(x^2\\)</span>  이다.</p>'
    assert answers[2] == '<span class="math inline">\\(x^2\\)</span>'
    # Text between them: the comment and the image are two formulas.
    assert answers[3] == ('<p>숨겨 둔 식 <span class="math inline">\\(y\\)</span> 과 그림 '
                          '<span class="math inline">\\(x^2\\)</span> 은 따로 있다.</p>')
    assert problems.items == []


def test_generic_link_text_names_the_question_and_other_links_keep_their_words(tmp_path):
    (tmp_path / "other.md").write_text(
        "# 다른 파일\n\n- [스택이란?](#1)\n\n## #1\n\n### 스택이란 무엇인가요?\n\n후입선출.\n", encoding="utf-8"
    )
    text = """- [큐란?](#1)

## #1

### 큐란 무엇인가요?

[여기](other.md#1), [1](./other.md#1), [스택](other.md#1), [Q1](#1), [here](#큐란-무엇인가요),
[없는 곳](#9), [사진](./pic.txt), [문서](https://example.com/a.md), [메일](mailto:a@example.com),
[파일 전체](other.md), [여기](other.md), [여기](missing.md#3).
"""
    parsed, problems = parse_text(text, tmp_path)
    assert problems.items == []
    assert parsed.notes[0].answer == (
        "<p>“스택이란 무엇인가요?”, “스택이란 무엇인가요?”, 스택, “큐란 무엇인가요?”, “큐란 무엇인가요?”,\n"
        '없는 곳, 사진, <a href="https://example.com/a.md">문서</a>, <a href="mailto:a@example.com">메일</a>,\n'
        "파일 전체, “다른 파일”, 여기.</p>"
    )


def test_a_readme_with_generic_link_texts_does_not_name_the_subdecks(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    (notes / "answers").mkdir(parents=True)
    (notes / "README.md").write_text(
        "# 면접 질문\n\n- 운영체제 [바로가기](./answers/os.md)\n- [Network](./answers/net.md)\n", encoding="utf-8"
    )
    (notes / "answers" / "os.md").write_text("# 운영체제\n\n- **문맥 교환이란?**\n  - 실행 흐름을 바꾸는 일\n",
                                             encoding="utf-8")
    (notes / "answers" / "net.md").write_text("# 네트워크\n\n- **TCP란?**\n  - 연결 지향 프로토콜\n", encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    assert anki.deck_of(anki.note_by_question("문맥 교환이란?")) == "notes::운영체제"
    assert anki.deck_of(anki.note_by_question("TCP란?")) == "notes::Network"
