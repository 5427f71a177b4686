"""Large input builds: one file of twenty thousand questions, a very long answer, deep nesting."""

from __future__ import annotations

from tests.conftest import read_lock


def test_huge_file_long_answer_and_deep_nesting_build(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    n = 20_000
    parts = [f"- **질문 {i}번은 무엇인가요?**\n  - 답 {i}: $x_{{{i}}}$ 와 `code_{i}`\n" for i in range(n)]
    long_answer = "".join(f"  - 아주 긴 답의 {i}번째 줄: 경사 하강법과 학습률 이야기.\n" for i in range(6000))
    parts.append("- **아주 긴 답이 달린 질문?**\n" + long_answer)
    quotes = "  " + "> " * 200 + "인용이 아주 깊다\n"
    parts.append("- **아주 깊은 인용이 달린 질문?**\n  - 얕은 답\n" + quotes)
    deep = "".join("  " * (d + 1) + f"- 깊이 {d}\n" for d in range(120))
    parts.append("- **아주 깊게 중첩된 답이 달린 질문?**\n" + deep)
    (notes / "big.md").write_text("".join(parts), encoding="utf-8")

    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.stderr[-2000:]
    assert f"{n + 3} notes (0 sub-questions) from 1 file" in result.output
    assert f"  … and {n + 3 - 25} more added (all in CHANGELOG.md)" in result.output
    deep = [line for line in result.stderr.splitlines() if "nested deeper than 100 levels" in line]
    assert deep == [
        f"notes/big.md:{2 * n + 6004}: warning: lists or quotes nested deeper than 100 levels: markdown "
        "reads no further into them, so the rest of that list or quote is left out"
    ]
    state = read_lock(notes)
    assert len(state["notes"]) == n + 3
    assert len({e["guid"] for e in state["notes"]}) == n + 3
