"""Property tests: any text either builds or fails with our own located errors, deterministically."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckgen.errors import Problems
from deckgen.model import SourceFile
from deckgen.parse import parse_file

_PIECES = st.sampled_from(
    [
        "- **질문?**\n", "  - 답\n", "    - 더 깊은 답\n", "* [링크 질문](#1)\n", "### #1\n", "## #2\n",
        "# 제목\n", "---\n", "title: x\n", "**keyword** : a, b\n", "$x_1$", "$$\n", "\\frac{a}{b}",
        "```python\n", "```\n", "> 인용\n", "| a | b |\n|--|--|\n", "<details><summary>Q?</summary>\n",
        "</details>\n", "<!-- id: x -->", "...\n", "TODO\n", "1. 번호 질문?\n", "   답\n", "\n",
        "![img](x.png)", "<script>alert(1)</script>", "Q. 무엇?\n", "A. 이것\n", "\t", "\r\n", "\x00",
    ]
)
_TEXT = st.one_of(st.text(max_size=400), st.lists(_PIECES, max_size=40).map("".join))


def _parse(text: str):
    problems = Problems()
    source = SourceFile(path=Path("/nonexistent/p.md"), rel="p.md", display="p.md", text=text)
    result = parse_file(source, problems)
    return result, [str(d) for d in problems.items]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_parses_to_notes_or_located_problems(text):
    result, problems = _parse(text)
    again, problems_again = _parse(text)
    assert result == again and problems == problems_again  # deterministic
    for note in result.notes:
        assert note.question.strip(), "no card may have a blank front"
        assert note.answer.strip()
        assert note.location.path == "p.md" and note.location.line >= 1
        assert "<script" not in note.answer and "<script" not in note.question
    for message in problems:
        assert message.startswith("p.md:"), message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_fail_with_a_located_error(data):
    from deckgen.model import SourceLocation
    from deckgen.sources import decode

    problems = Problems()
    text = decode(data, SourceLocation("p.md", 0), problems)
    if text is None:
        assert [d.severity for d in problems.items] == ["error"]
        assert str(problems.items[0]).startswith("p.md")
    else:
        assert "\r" not in text
