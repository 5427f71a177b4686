"""Deterministic benchmark corpus: Korean interview questions in the bold-bullet shape.

Every file holds ~500 questions written as `- **question?**` with the answer nested below:
bullet lines with inline math ($x_i$), now and then a `$$` block, a fenced code block, deeper
nested lists and a sub-question (`- 하위 질문?` with its own indented answer). Files start with
YAML front matter like the notes people publish on their blogs.

The same questions and answers are also written in the input shapes of the peer tools:

* ankdown:             `front` / `%` / `back` / `%` / `tags`, cards separated by `---`
* markdown-anki-decks: `# deck` then `## question` with the body as the answer

Sub-questions are their own cards everywhere (deckgen makes a note of each), so every shape
holds the same number of cards: `Corpus.notes`.

    python bench/corpus.py 10k            # writes bench/corpus/10k/{deckgen,ankdown,mdankideck}/
    python bench/corpus.py --scale        # writes the scaling cases, bench/corpus/scale/

Two scaling cases grow one thing at a time, for deckgen only: one question whose answer is one
line of n inline math spans (`spans`), and n files of one question each, so n subdecks (`files`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
PER_FILE = 500
SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
GENERATOR = "3"  # bump when the output changes, so cached corpora are regenerated

TOPICS = [
    ("딥러닝", "DL"), ("머신러닝", "ML"), ("통계", "Statistics"), ("선형대수", "LinearAlgebra"),
    ("자연어처리", "NLP"), ("컴퓨터비전", "CV"), ("운영체제", "OS"), ("네트워크", "Network"),
    ("데이터베이스", "DB"), ("알고리즘", "Algorithm"),
]
CONCEPTS = [
    "배치 정규화", "드롭아웃", "경사 하강법", "역전파", "어텐션", "임베딩", "정칙화", "교차 검증",
    "주성분 분석", "서포트 벡터 머신", "의사결정나무", "랜덤 포레스트", "부스팅", "베이즈 정리",
    "최대우도추정", "손실 함수", "활성화 함수", "학습률 스케줄링", "가중치 초기화", "과적합",
    "트랜스포머", "합성곱", "풀링", "순환 신경망", "LSTM", "해시 테이블", "힙 정렬", "퀵 정렬",
    "동적 계획법", "그래프 탐색", "TCP 혼잡 제어", "가상 메모리", "페이지 교체", "인덱스",
    "트랜잭션 격리 수준", "정규화(DB)", "캐시 일관성", "교착 상태", "스케줄러", "고유값 분해",
]
ASKS = [
    "{c}의 역할은 무엇인가요?", "{c}를 사용하는 이유는?", "{c}의 장단점은?",
    "{c}와 {d}의 차이는 무엇인가요?", "{c}는 어떤 상황에서 실패하나요?",
    "{c}를 수식으로 설명한다면?", "{c}의 시간 복잡도는 어떻게 되나요?",
    "{c}를 구현할 때 주의할 점은?", "{c}가 {d}보다 나은 경우는?",
]
SUBJECTS = ["입력", "출력", "가중치", "기울기", "분산", "평균", "손실", "확률", "메모리 사용량", "지연 시간"]
VERBS = [
    "안정적으로 유지됩니다", "빠르게 수렴합니다", "작아지는 경향이 있습니다", "커질 수 있습니다",
    "계산 비용이 줄어듭니다", "일반화 성능이 좋아집니다", "편향이 생길 수 있습니다",
    "0에 가까워집니다", "정규분포를 따른다고 가정합니다", "병목이 될 수 있습니다",
]
CLAUSES = [
    "데이터가 충분히 많을 때", "배치 크기가 작으면", "층이 깊어질수록", "학습 초기에는",
    "검증셋에서 평가할 때", "입력의 스케일이 다르면", "모델이 복잡할수록", "실제 서비스 환경에서는",
]
MATH_INLINE = [
    r"$x_i$", r"$\hat{y}_i$", r"$\sigma^2$", r"$\mu_B$", r"$W_{ij}$", r"$\nabla_\theta L$",
    r"$O(n \log n)$", r"$p(y \mid x)$", r"$\lambda \lVert w \rVert_2^2$", r"$e^{-x}$",
]
MATH_BLOCK = [
    r"\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}",
    r"L = -\sum_{i=1}^{n} y_i \log \hat{y}_i",
    r"\theta_{t+1} = \theta_t - \eta \nabla_\theta L(\theta_t)",
    r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right) V",
    r"P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}",
]
CODE = [
    ("python", "def softmax(x):\n    e = np.exp(x - x.max())\n    return e / e.sum()"),
    ("python", "for epoch in range(epochs):\n    loss = model(x, y)\n    loss.backward()\n    opt.step()"),
    ("sql", "SELECT user_id, COUNT(*)\nFROM orders\nGROUP BY user_id\nHAVING COUNT(*) > 3;"),
    ("c", "int fib(int n) {\n    return n < 2 ? n : fib(n - 1) + fib(n - 2);\n}"),
    ("bash", "nvidia-smi --query-gpu=memory.used --format=csv"),
]


@dataclass
class QA:
    """One question: its text, its answer as markdown lines (unindented), its sub-questions."""

    question: str
    answer: list[str]
    subs: list[QA] = field(default_factory=list)


@dataclass
class NoteFileSpec:
    name: str
    title: str
    tags: list[str]
    questions: list[QA]


def _sentence(rng: random.Random, math: bool) -> str:
    s = f"{rng.choice(CLAUSES)} {rng.choice(SUBJECTS)}이(가) {rng.choice(VERBS)}"
    if math:
        s = f"{rng.choice(CLAUSES)} {rng.choice(MATH_INLINE)}가 {rng.choice(VERBS)}"
    if rng.random() < 0.5:
        s += f". 예를 들어 {rng.choice(SUBJECTS)}이(가) {rng.choice(VERBS)}"
    return s + "."


def _answer(rng: random.Random, extras: bool) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(2, 5)):
        lines.append(f"- {_sentence(rng, rng.random() < 0.5)}")
        if rng.random() < 0.3:  # a nested list
            for _ in range(rng.randint(1, 2)):
                lines.append(f"  - {_sentence(rng, rng.random() < 0.3)}")
    if extras and rng.random() < 0.12:  # a display-math block
        lines.append("- 식으로 쓰면 다음과 같습니다.")
        lines.append("  $$")
        lines.append(f"  {rng.choice(MATH_BLOCK)}")
        lines.append("  $$")
    if extras and rng.random() < 0.10:  # fenced code
        lang, code = rng.choice(CODE)
        lines.append("- 예시 코드:")
        lines.append(f"  ```{lang}")
        lines.extend(f"  {c}" for c in code.split("\n"))
        lines.append("  ```")
    return lines


def _question(rng: random.Random, n: int) -> str:
    c, d = rng.sample(CONCEPTS, 2)
    return f"[{n}] " + rng.choice(ASKS).format(c=c, d=d)


def make_file(index: int) -> NoteFileSpec:
    """The content of note file number `index` (the same whatever the corpus size)."""
    rng = random.Random(f"deckgen-bench-{index}")
    topic, tag = TOPICS[index % len(TOPICS)]
    questions: list[QA] = []
    count = 0
    n = index * 1000
    while count < PER_FILE:
        n += 1
        qa = QA(_question(rng, n), _answer(rng, extras=True))
        count += 1
        if count < PER_FILE and rng.random() < 0.2:  # a sub-question with its own answer
            sub = QA(f"그렇다면 {rng.choice(MATH_INLINE)}가 커지면 어떻게 되나요?", _answer(rng, extras=False))
            qa.subs.append(sub)
            count += 1
        questions.append(qa)
    return NoteFileSpec(
        name=f"{index:03d}_{tag.lower()}.md",
        title=f"[면접 Cheat Sheet] {topic} {index + 1}",
        tags=[tag, "CheatSheet"],
        questions=questions,
    )


def extra_question(second: bool = False) -> QA:
    """The question the "edit" case adds to one file (`second`: the one added after it)."""
    if second:
        return QA(
            "[999998] 하나 더 추가한 질문: 드롭아웃과 가중치 감쇠의 차이는?",
            ["- 드롭아웃은 뉴런을 무작위로 끄고, 가중치 감쇠는 $\\lambda \\lVert w \\rVert^2$를 더합니다."],
        )
    return QA(
        "[999999] 새로 추가한 질문: 배치 정규화와 레이어 정규화의 차이는?",
        ["- 배치 정규화는 배치 축으로, 레이어 정규화는 특징 축으로 $\\mu$와 $\\sigma^2$를 구합니다."],
    )


def after_extra(qa: QA) -> tuple[str, str]:
    """(old, new) for str.replace: `qa` put right after the edit case's question in a file."""
    first = "\n".join(bold_bullet_item(extra_question())) + "\n"
    return first, first + "\n".join(bold_bullet_item(qa)) + "\n"


def _indent(lines: list[str], by: str) -> list[str]:
    return [by + line if line else line for line in lines]


# --- shapes ---------------------------------------------------------------------------------


def bold_bullet_item(qa: QA) -> list[str]:
    """A question as deckgen's bold-bullet notes write it."""
    out = [f"- **{qa.question}**", *_indent(qa.answer, "  ")]
    for sub in qa.subs:
        out.append(f"  - {sub.question}")
        out.extend(_indent(sub.answer, "    "))
    return out


def bold_bullets(spec: NoteFileSpec, insert: QA | None = None) -> str:
    head = [
        "---",
        f'title: "{spec.title}"',
        "date: 2021-03-20 20:30:00 +0800",
        f"categories: [Cheat_Sheet, {spec.tags[0]}]",
        f"tags: [{', '.join(spec.tags)}]",
        "use_math: true",
        "---",
        "",
        f"## **{spec.title} - 문제편**",
        "",
        "---",
        "",
    ]
    body: list[str] = []
    for i, qa in enumerate(spec.questions):
        if insert is not None and i == len(spec.questions) // 2:
            body.extend(bold_bullet_item(insert))
        body.extend(bold_bullet_item(qa))
    return "\n".join(head + body) + "\n"


def _cards(spec: NoteFileSpec) -> list[tuple[str, list[str]]]:
    """(front, back lines) of every card: each question, then each of its sub-questions."""
    cards = []
    for qa in spec.questions:
        back = list(qa.answer)
        for sub in qa.subs:
            back.append(f"- {sub.question}")
            back.extend(_indent(sub.answer, "  "))
        cards.append((qa.question, back))
        for sub in qa.subs:
            cards.append((f"{qa.question} — {sub.question}", list(sub.answer)))
    return cards


def ankdown(spec: NoteFileSpec) -> str:
    out = []
    for front, back in _cards(spec):
        out += [front, "", "%", "", *back, "", "%", "", " ".join(spec.tags), "", "---", ""]
    return "\n".join(out)


def mdankideck(spec: NoteFileSpec) -> str:
    out = [f"# {spec.title}", ""]
    for front, back in _cards(spec):
        out += [f"## {front}", "", *back, ""]
    return "\n".join(out)


# --- writing --------------------------------------------------------------------------------


@dataclass
class Corpus:
    size: str
    root: Path
    notes: int
    files: int

    def shape(self, name: str) -> Path:
        return self.root / name


def files_for(size: str) -> int:
    return max(1, SIZES[size] // PER_FILE)


def generate(size: str, force: bool = False) -> Corpus:
    """Write (or reuse) the corpus of `size` in every shape; return where it is."""
    n_files = files_for(size)
    root = CORPUS_DIR / size
    stamp = root / "corpus.json"
    key = hashlib.sha256(f"{GENERATOR}:{PER_FILE}:{n_files}:{Path(__file__).read_bytes()!r}".encode()).hexdigest()
    if not force and stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("key") == key:
            return Corpus(size, root, info["notes"], n_files)
    shutil.rmtree(root, ignore_errors=True)
    writers = {"deckgen": bold_bullets, "ankdown": ankdown, "mdankideck": mdankideck}
    for shape in writers:
        (root / shape).mkdir(parents=True)
    notes = 0
    for i in range(n_files):
        spec = make_file(i)
        notes += sum(1 + len(qa.subs) for qa in spec.questions)
        for shape, write in writers.items():
            (root / shape / spec.name).write_text(write(spec), encoding="utf-8")
    stamp.write_text(json.dumps({"key": key, "notes": notes, "files": n_files}))
    return Corpus(size, root, notes, n_files)


# --- scaling cases -------------------------------------------------------------------------

SCALE_DIR = CORPUS_DIR / "scale"
SCALE_SIZES = {"spans": (25_000, 50_000, 100_000), "files": (2_500, 5_000, 10_000)}
SCALE_WHAT = {"spans": "one line of inline math spans", "files": "one-question files"}
SCALE_UNIT = {"spans": "span", "files": "file"}


@dataclass
class ScaleCase:
    kind: str  # "spans" or "files"
    units: int
    root: Path

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.units}"


def math_line(n: int) -> str:
    """One question whose answer is one line of n inline math spans."""
    return "## 한 줄에 수식이 많으면 어떻게 되나요?\n\n" + "$x_i$ " * n + "\n"


def one_question(i: int) -> str:
    """Note file number i of the `files` case: its own subdeck, one question."""
    c, d = CONCEPTS[i % len(CONCEPTS)], CONCEPTS[(i * 7 + 3) % len(CONCEPTS)]
    return (f"# {c} 노트 {i}\n\n## [{i}] {c}와 {d}의 차이는 무엇인가요?\n\n"
            f"- {c}는 {MATH_INLINE[i % len(MATH_INLINE)]}를 씁니다.\n- {d}는 그렇지 않습니다.\n")


def generate_scale(kind: str, units: int, force: bool = False) -> ScaleCase:
    """Write (or reuse) one scaling case; return where it is."""
    root = SCALE_DIR / f"{kind}-{units}"
    stamp = root.parent / f"{root.name}.json"
    key = hashlib.sha256(f"{GENERATOR}:{kind}:{units}:{Path(__file__).read_bytes()!r}".encode()).hexdigest()
    case = ScaleCase(kind, units, root)
    if not force and stamp.exists() and json.loads(stamp.read_text()).get("key") == key:
        return case
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "deckgen.toml").write_text(f'title = "규모 {kind} {units}"\nslug = "scale-{kind}-{units}"\n',
                                       encoding="utf-8")
    if kind == "spans":
        (root / "math.md").write_text(math_line(units), encoding="utf-8")
    else:
        for i in range(units):
            (root / f"{i:05d}.md").write_text(one_question(i), encoding="utf-8")
    stamp.write_text(json.dumps({"key": key}))
    return case


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", default=list(SIZES), help="1k, 10k, 50k")
    ap.add_argument("--scale", action="store_true", help="write the scaling cases instead")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    if args.scale:
        for kind, sizes in SCALE_SIZES.items():
            for n in sizes:
                print(f"{kind} {n}: {SCALE_WHAT[kind]} -> {generate_scale(kind, n, force=args.force).root}")
        return
    for size in args.sizes:
        c = generate(size, force=args.force)
        print(f"{size}: {c.notes} notes in {c.files} files -> {c.root}")


if __name__ == "__main__":
    main()
