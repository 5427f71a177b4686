"""Matching notes across rebuilds on tricky cases (pure logic, no files)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.ids import SKETCH_BINS, Known, Seen, _grams, _rarity, answer_grams, match, new_guid, similarity, sketch


def _known(i: int, question: str, answer: str, key: str | None = None, file: str = "a.md") -> Known:
    return Known(f"g{i}", key or f"{file}::{question}", file, question, answer)


def _seen(question: str, answer: str, key: str | None = None, file: str = "a.md", pinned: str = "") -> Seen:
    return Seen(key or f"{file}::{question}", file, question, answer, pinned)


def test_guid_is_deterministic_and_namespaced():
    assert new_guid("deck", "a.md#1") == new_guid("deck", "a.md#1")
    assert new_guid("deck", "a.md#1") != new_guid("other", "a.md#1")


def test_two_similar_questions_swapped_keep_their_own_notes():
    known = [
        _known(0, "ReLU의 장점은?", "계산이 빠르고 기울기 소실이 적다"),
        _known(1, "ReLU의 단점은?", "음수 입력에서 뉴런이 죽는다"),
    ]
    seen = [
        _seen("ReLU의 단점은?", "음수 입력에서 뉴런이 죽는다"),
        _seen("ReLU의 장점은?", "계산이 빠르고 기울기 소실이 적다"),
    ]
    assert match(known, seen) == {0: 1, 1: 0}


def test_swapped_and_both_reworded_follow_their_answers():
    known = [
        _known(0, "ReLU의 장점은 무엇인가요?", "계산이 빠르고 양수 구간에서 기울기 소실이 없다", key="a.md#1"),
        _known(1, "ReLU의 단점은 무엇인가요?", "음수 입력에서 기울기가 0이라 뉴런이 죽는다", key="a.md#2"),
    ]
    seen = [
        _seen("ReLU의 단점은?", "음수 입력에서 기울기가 0이라 뉴런이 죽는다", key="a.md#1"),
        _seen("ReLU의 장점은?", "계산이 빠르고 양수 구간에서 기울기 소실이 없다", key="a.md#2"),
    ]
    assert match(known, seen) == {0: 1, 1: 0}


def test_a_question_split_in_two_keeps_its_note_once():
    known = [_known(0, "배치 정규화의 효과와 한계는?", "학습이 안정되고 빨라진다. 작은 배치에서는 통계가 불안정하다")]
    seen = [
        _seen("배치 정규화의 효과는?", "학습이 안정되고 빨라진다"),
        _seen("배치 정규화의 한계는?", "작은 배치에서는 통계가 불안정하다"),
    ]
    pairs = match(known, seen)
    assert list(pairs.values()) == [0]  # one half continues the note, the other is new


def test_renumbered_anchor_does_not_steal_another_question():
    known = [
        _known(0, "드롭아웃은 왜 쓰나요?", "과적합을 줄인다", key="a.md#5"),
        _known(1, "배치 정규화란?", "층의 입력 분포를 정규화한다", key="a.md#6"),
    ]
    seen = [
        _seen("새로 추가한 질문: 조기 종료란?", "검증 손실이 나빠지면 멈춘다", key="a.md#5"),
        _seen("드롭아웃은 왜 쓰나요?", "과적합을 줄인다", key="a.md#6"),
        _seen("배치 정규화란?", "층의 입력 분포를 정규화한다", key="a.md#7"),
    ]
    assert match(known, seen) == {1: 0, 2: 1}


def test_unrelated_new_question_is_not_matched_to_a_removed_one():
    known = [_known(0, "손실 함수란?", "예측과 정답의 차이를 재는 함수")]
    seen = [_seen("GPU 메모리가 부족하면?", "배치를 줄이거나 혼합 정밀도를 쓴다")]
    assert match(known, seen) == {}


def test_pinned_id_wins_over_wording():
    known = [Known("g0", "a.md::x", "a.md", "완전히 다른 옛 질문", "옛 답", pinned="relu-pros")]
    seen = [_seen("새 질문", "새 답", pinned="relu-pros")]
    assert match(known, seen) == {0: 0}


def test_similarity_ignores_spacing_and_punctuation():
    assert similarity("Sigmoid 보다 ReLU?", "sigmoid보다relu") == 1.0
    assert similarity("가나다", "라마바") == 0.0


def test_a_shared_question_template_alone_is_not_a_match():
    known = [
        _known(0, "스택이란 무엇인가요?", "나중에 넣은 것을 먼저 꺼내는 자료구조"),
        _known(1, "큐란 무엇인가요?", "먼저 넣은 것을 먼저 꺼내는 자료구조"),
    ]
    seen = [
        _seen("큐란 무엇인가요?", "먼저 넣은 것을 먼저 꺼내는 자료구조"),
        _seen("힙이란 무엇인가요?", "부모가 자식보다 항상 크거나 작은 완전 이진 트리"),
    ]
    assert match(known, seen) == {0: 1}  # the heap is new; the removed stack keeps its own note


def test_bare_section_numbers_are_not_evidence():
    known = [_known(0, "TCP와 UDP의 차이는?", "연결 지향과 비연결", key="a.md#3")]
    seen = [_seen("프로세스와 스레드의 차이는?", "메모리 공유 여부", key="a.md#3")]
    assert match(known, seen) == {}


_LONG = ("배치 정규화는 미니배치마다 각 특징의 평균과 분산으로 입력을 정규화하고, 학습되는 스케일과 이동으로 "
         "표현력을 되돌립니다. 내부 공변량 변화를 줄여 더 큰 학습률로도 안정적으로 학습할 수 있게 합니다.")
_OTHER = ("드롭아웃은 학습 중에 뉴런을 확률적으로 꺼서 특정 뉴런에 의존하지 않게 하고, 추론할 때는 모든 뉴런을 "
          "쓰되 출력을 보정합니다. 여러 모델을 앙상블한 것과 비슷한 효과로 과적합을 줄입니다.")


def test_sketches_alone_recognise_a_reworded_question_by_its_long_answer():
    assert len(answer_grams(_LONG)) > SKETCH_BINS  # more bigrams than the sketch has parts
    known = [Known("g0", "a.md::x", "a.md", "배치 정규화의 효과는?", "", sketch=sketch(_LONG)),
             Known("g1", "a.md::y", "a.md", "드롭아웃의 효과는?", "", sketch=sketch(_OTHER))]
    seen = [Seen("a.md::z", "a.md", "배치 정규화를 쓰면 어떤 효과가 있나?", "", sketch=sketch(_LONG)),
            Seen("a.md::w", "a.md", "드롭아웃을 쓰면 어떤 효과가 있나?", _OTHER)]
    assert match(known, seen) == {0: 0, 1: 1}
    # Answered anew as well as reworded: a new question, with the sketch as with the text.
    fresh = [Seen("a.md::z", "a.md", "배치 정규화를 쓰면 어떤 효과가 있나?", "", sketch=sketch(_OTHER[::-1]))]
    assert match(known[:1], fresh) == {}


_WORDS = st.text(alphabet="가나다라 abAB?!.1é", max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=12), st.lists(_WORDS, max_size=3), st.sets(st.text(alphabet="가나ab", max_size=2)))
def test_the_rarity_of_some_bigrams_is_theirs_among_all(questions, compared, extra):
    """Weighing only the bigrams of the questions compared gives each the weight it has among
    every bigram of the deck (what a reworded question's match looks up)."""
    only = set().union(*(_grams(q) for q in compared)) | {g for g in extra if g}
    everything = _rarity(questions)
    assert _rarity(questions, only) == {g: w for g, w in everything.items() if g in only}
