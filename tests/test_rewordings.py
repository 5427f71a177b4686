"""A published collection reworded upstream: built from its old files and reviewed, then rebuilt
from today's (the file renamed, questions added, six questions reworded). Every reworded question
keeps its note and history; a question replaced by another at the same number does not."""

from __future__ import annotations

from pathlib import Path

# (old question, old answer, new question or None if unchanged, new answer or None if unchanged)
_QUESTIONS = [
    ("모수란 무엇인가요?", "모집단의 특성을 나타내는 값이다. 평균 μ와 분산 σ² 같은 값이 모수이고, 표본에서 구한 값은 통계량이다.",
     None, None),
    ("고유값(eigen value)와 고유벡터(eigen vector)이 무엇이고 왜 중요한지 설명해주세요.",
     "Av = λv 를 만족하는 0이 아닌 v가 고유벡터, λ가 고유값이다. 변환이 방향을 바꾸지 않는 축이라 PCA에 쓰인다.",
     "고유값(eigen value)와 고유벡터(eigen vector)에 대해 설명해주세요. 그리고 왜 중요할까요?",
     "$Av = \\lambda v$ 를 만족하는 0이 아닌 $v$가 고유벡터, $\\lambda$가 고유값이다. 변환이 방향을 바꾸지 않는 축이라 "
     "PCA에 쓰인다."),
    ("샘플링과 리샘플링이 무엇이고 리샘플링의 장점을 말씀해주세요.",
     "표본을 뽑는 것이 샘플링, 뽑은 표본에서 다시 뽑는 것이 리샘플링이다. 분포를 가정하지 않고 추정량의 분산을 구할 수 있다.",
     None, None),
    ("확률 모형과 확률 변수는 무엇일까요?",
     "확률 변수는 표본 공간의 결과를 실수에 대응시키는 함수이고, 확률 모형은 그 분포를 수식으로 나타낸 것이다.",
     None, None),
    ("조건부 확률은 무엇일까요?", "P(A|B) = P(A∩B)/P(B). B가 일어났을 때 A가 일어날 확률.",
     "조건부 확률은 무엇인가요?", "$P(A|B) = \\frac{P(A \\cap B)}{P(B)}$. $B$가 일어났을 때 $A$가 일어날 확률."),
    ("공분산과 상관계수는 무엇일까요? 수식과 함께 표현해주세요.",
     "Cov(X,Y) = E[(X-μ)(Y-ν)]. 상관계수 ρ는 공분산을 두 표준편차의 곱으로 나눈 값이다.",
     "공분산과 상관계수는 무엇인가요? 수식과 함께 설명해주세요.",
     "$Cov(X,Y) = E[(X-\\mu)(Y-\\nu)]$. 상관계수 $\\rho$는 공분산을 두 표준편차의 곱으로 나눈 값이다."),
    ("신뢰 구간의 정의는 무엇인가요?",
     "모수가 들어 있으리라 믿을 수 있는 구간이다. 같은 방법으로 구간을 여러 번 만들면 그중 95%가 모수를 포함한다.",
     None, None),
    ("p-value를 모르는 사람에게 설명한다면 어떻게 설명하실 건가요?",
     "귀무가설이 맞을 때 지금만큼 또는 더 극단적인 결과가 나올 확률이다.",
     "p-value를 모르는 사람에게 어떻게 설명하시겠어요?", None),
    ("R square의 의미는 무엇인가요?", "회귀 모델이 타깃의 분산을 얼마나 설명하는지 나타내는 값으로 0에서 1 사이이다.",
     "R square(결정계수)의 의미는 무엇인가요?", None),
    ("평균(mean)과 중앙값(median)중에 어떤 케이스에서 뭐를 써야할까요?",
     "이상치가 있으면 중앙값이 평균보다 덜 흔들린다. 분포가 대칭이면 평균을 써도 된다.",
     "평균(mean)과 중앙값(median) 중 어떤 경우에 무엇을 써야 할까요?", None),
    # Replaced upstream by another question at the same number: a new note, never this one's history.
    ("중심극한정리는 왜 유용한걸까요?", "표본 평균의 분포가 표본이 크면 정규분포에 가까워지므로 모집단 분포를 몰라도 추정과 검정을 할 수 있다.",
     "엔트로피(entropy)에 대해 설명해주세요.", "불확실성의 정도이다. 확률이 고르게 퍼질수록 엔트로피가 크다."),
    ("베이지안과 프리퀀티스트 간의 입장차이를 설명해주실 수 있나요?",
     "프리퀀티스트는 확률을 반복 시행의 빈도로, 베이지안은 믿음의 정도로 본다. 베이지안은 사전 분포를 쓴다.", None, None),
]
_ADDED = [
    ("어떤 확률 분포를 알고 있나요?", "정규분포, 이항분포, 포아송분포, 지수분포 등이 있다."),
    ("검정력(statistical power)은 무엇일까요?", "대립가설이 참일 때 귀무가설을 기각할 확률이다."),
    ("missing value가 있을 경우 채워야 할까요?", "결측의 이유와 비율을 보고 정한다. 무작위 결측이면 대치가 유효하다."),
]


def _write(folder: Path, name: str, state: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    (folder / "deckgen.toml").write_text('title = "데이터 사이언스 면접"\nslug = "ds-interview"\n', encoding="utf-8")
    rows = [(q2 or q1, a2 or a1) if state == 2 else (q1, a1) for q1, a1, q2, a2 in _QUESTIONS]
    if state == 2:
        rows += _ADDED
    out = ["# 통계 / 수학", "", "> 답변은 계속 보강 중입니다.", ""]
    out += [f"- [{q}](#{i})" for i, (q, _) in enumerate(rows, 1)]
    out += ["", "---", ""]
    for i, (q, a) in enumerate(rows, 1):
        out += [f"## #{i}", "", f"### {q}", "", a, "", "#### References", "", f"- [자료 {i}](https://example.com/{i})",
                "", "---", ""]
    (folder / name).write_text("\n".join(out), encoding="utf-8")
    return folder


def test_reworded_questions_in_a_renamed_file_keep_their_notes(run_cli, tmp_path, anki):
    notes, dist = tmp_path / "answers", tmp_path / "dist"
    _write(notes, "Statistics.md", 1)
    first = run_cli("build", str(notes), "-o", str(dist))
    assert first.exit_code == 0, first.output + first.stderr
    anki.import_package(dist / "ds-interview-v1.0.0.apkg")
    for cid in anki.col.find_cards(""):
        card = anki.col.get_card(cid)
        card.start_timer()
        anki.col.sched.answerCard(card, 3)
    before = {n["Question"]: n.id for n in anki.notes()}
    assert len(before) == len(_QUESTIONS)

    _write(notes, "Statistics-Math.md", 2)
    second = run_cli("build", str(notes), "-o", str(dist))
    assert second.exit_code == 0, second.output + second.stderr
    log = anki.import_package(dist / "ds-interview-v1.1.0.apkg").log
    assert not log.conflicting
    after = {n["Question"]: n for n in anki.notes()}
    reworded = [(q1, q2) for q1, _, q2, a2 in _QUESTIONS if q2 and not q2.startswith("엔트로피")]
    assert len(reworded) == 6
    for q1, q2 in reworded:
        assert after[q2].id == before[q1], f"{q1} -> {q2}: a new note"
        assert anki.col.get_card(after[q2].card_ids()[0]).reps == 1
        assert f"re-identified: {q1} → {q2}" in second.output
    for q1, _, q2, _ in _QUESTIONS:
        if q2 is None:
            assert after[q1].id == before[q1]
    # The replaced question is a new note; the one it replaced stays in Anki with its history.
    replaced = after["엔트로피(entropy)에 대해 설명해주세요."]
    assert replaced.id not in before.values()
    assert anki.col.get_card(replaced.card_ids()[0]).reps == 0
    assert after["중심극한정리는 왜 유용한걸까요?"].id == before["중심극한정리는 왜 유용한걸까요?"]
    assert "removed: 중심극한정리는 왜 유용한걸까요?" in second.output
    assert len(after) == len(_QUESTIONS) + 1 + len(_ADDED)
