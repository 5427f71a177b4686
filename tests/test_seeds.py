"""The user's own two notes, where they are available: exactly the 26 notes a reader sees."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="the user's seed notes are not beside this checkout")


def test_seed_documents_give_the_26_notes(run_cli, tmp_path, anki):
    notes_dir = tmp_path / "seeds"
    notes_dir.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, notes_dir / (seed.stem + ".md"))
    result = run_cli("build", str(notes_dir), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output
    assert "26 notes (7 sub-questions)" in result.output
    assert "1 skipped" in result.output
    first = next(p.name for p in notes_dir.glob("000_*.md"))
    assert f"seeds/{first}:91: warning: question has no answer" in result.stderr

    package = next((tmp_path / "dist").glob("seeds-v1.0.0.apkg"))
    anki.import_package(package)
    notes = anki.notes()
    assert len(notes) == 26
    sub = [n for n in notes if n["Context"]]
    assert len(sub) == 7
    assert sum("ReLU를 많이 쓰는데" in n["Context"] for n in sub) == 4
    assert sum("Gradient Descent에 대해서" in n["Context"] for n in sub) == 3
    gd = anki.note_by_question("Gradient Descent에 대해서 쉽게 설명한다면?")
    assert gd["Answer"].startswith("<p>우리가 원하고자 하는 목표에 도달하기 위해 방향을 설정하는 것</p>")
    bold = [n for n in notes if "문제편" in anki.deck_of(n)]
    assert len(bold) == 7
    assert all(set(n.tags) == {"Cheat_Sheet", "DL", "CheetSheet"} for n in bold)


def test_seed_documents_rebuilt_after_edits_keep_every_review(run_cli, tmp_path, anki):
    from tests.test_regenerate import _review_all, _schedule

    notes_dir = tmp_path / "seeds"
    notes_dir.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, notes_dir / (seed.stem + ".md"))
    anchored = next(notes_dir.glob("000_*.md"))
    bullets = next(notes_dir.glob("003_*.md"))
    assert run_cli("build", "seeds").exit_code == 0
    anki.import_package(tmp_path / "dist" / "seeds-v1.0.0.apkg")
    before = _review_all(anki)
    assert len(before) == 26

    text = anchored.read_text(encoding="utf-8")
    edits = [
        ("[볼츠만 머신은 무엇인가요?](#9)", "[볼츠만 머신이란 무엇인가요?](#9)"),  # reworded
        ("PyTorch는 실행 시점에서 graph가 그려진다.(Dynamic Computation Graph)",
         "PyTorch는 실행 시점에서 graph가 그려진다(Dynamic Computation Graph). 디버깅이 쉽다."),
        ("- Back Propagation에 대해서 쉽게 설명 한다면?", "- Back Propagation에 대해서 쉽게 설명한다면?"),
        ("- ReLU로 어떻게 곡선 함수를 근사하나?", "- ReLU로 어떻게 곡선 함수에 근사하나?"),  # a typo
    ]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    anchored.write_text(text, encoding="utf-8")
    text = bullets.read_text(encoding="utf-8")
    removed = text[text.index("- **loss function cost function 차이?**"):]
    moved = text[text.index("- **배치 처리를 하는 이유?**"):text.index("- **loss function과 metric의 차이?**")]
    text = text.replace(removed, "").replace(moved, "")
    text += "- **Dropout은 어떻게 과적합을 줄이나요?**\n  - 학습 때 뉴런을 무작위로 꺼서 앙상블 효과를 낸다.\n"
    bullets.write_text(text, encoding="utf-8")
    (notes_dir / "004_batch.md").write_text("---\ntitle: 배치\n---\n\n" + moved, encoding="utf-8")

    result = run_cli("build", "seeds")
    assert result.exit_code == 0, result.output
    assert "re-identified: 볼츠만 머신은 무엇인가요? → 볼츠만 머신이란 무엇인가요?" in result.output
    assert "re-identified: ReLU로 어떻게 곡선 함수를 근사하나? → ReLU로 어떻게 곡선 함수에 근사하나?" in result.output
    assert "edited: Back Propagation에 대해서 쉽게 설명한다면?" in result.output  # spacing only
    assert "edited: Tensorflow, PyTorch 특징과 차이가 뭘까요?" in result.output
    assert "removed: loss function cost function 차이?" in result.output
    assert "moved: 배치 처리를 하는 이유?" in result.output
    assert "added: Dropout은 어떻게 과적합을 줄이나요?" in result.output
    anki.import_package(tmp_path / "dist" / "seeds-v1.1.0.apkg")
    after = _schedule(anki)
    assert {cid: after[cid] for cid in before} == before
    assert len(after) == 27
    questions = [n["Question"] for n in anki.notes()]
    assert len(questions) == len(set(questions)) == 27
    assert anki.note_by_question("볼츠만 머신이란 무엇인가요?")
    assert "디버깅이 쉽다" in anki.note_by_question("Tensorflow, PyTorch 특징과")["Answer"]

    again = run_cli("build", "seeds")
    assert "is up to date (version 1.1.0)" in again.output
