"""A large collection pulled again months later: every unchanged question keeps its note and history.

A deterministic generator writes an interview collection of about 300 questions over six files
(four Korean, two English) in two states. State 2 is what upstream did meanwhile: three files
renamed (one retitled), questions inserted so that sections are renumbered, questions reworded,
answers rewritten and about 50 questions added. Both states are built with the lock in between
and imported into a real Anki collection, every card reviewed in between.
"""

from __future__ import annotations

import random
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tests.test_regenerate import _review_all, _schedule

# --- the generator ------------------------------------------------------------------------------

TOPICS = [  # (state-1 file, state-2 file, title 1, title 2, language, terms, terms added in state 2)
    ("1-statistics.md", "01-statistics-math.md", "통계/수학", "통계/수학", "ko",
     ["고유값", "확률 변수", "베이즈 정리", "중심극한정리", "최대우도추정", "가설 검정", "신뢰 구간", "공분산",
      "상관계수", "엔트로피"], ["마르코프 체인", "부트스트랩"]),
    ("2-machine-learning.md", "2-machine-learning.md", "머신러닝", "머신러닝", "ko",
     ["과적합", "교차 검증", "정규화", "결정 트리", "랜덤 포레스트", "서포트 벡터 머신", "경사 부스팅", "차원 축소",
      "군집화", "앙상블"], ["특성 공학", "불균형 데이터"]),
    ("3-deep-learning.md", "3-deep-learning.md", "딥러닝", "딥러닝", "ko",
     ["역전파", "활성화 함수", "배치 정규화", "드롭아웃", "합성곱 신경망", "순환 신경망", "어텐션", "트랜스포머",
      "가중치 초기화", "학습률 스케줄링"], ["지식 증류", "전이 학습"]),
    ("4-operating-system.md", "4-os.md", "운영체제", "운영체제", "ko",
     ["프로세스", "스레드", "교착 상태", "가상 메모리", "페이지 교체", "세마포어", "뮤텍스", "컨텍스트 스위칭",
      "CPU 스케줄링", "인터럽트"], ["시스템 콜", "파일 시스템"]),
    ("5-network.md", "5-network.md", "Network", "Computer Network", "en",
     ["TCP", "UDP", "HTTP/2", "TLS", "DNS", "the OSI model", "load balancing", "CORS", "WebSocket",
      "the three-way handshake"], ["QUIC", "a CDN"]),
    ("6-database.md", "7-databases.md", "Database", "Database", "en",
     ["an index", "normalization", "a transaction", "isolation levels", "deadlock detection", "sharding",
      "replication", "a B-tree", "query optimization", "the ACID properties"], ["MVCC", "a write-ahead log"]),
]

TEMPLATES = {
    "ko": ["{t}에 대해 설명해주세요.", "{t}의 장단점은 무엇인가요?", "{t}은(는) 언제 사용하나요?",
           "{t}의 동작 원리는 무엇인가요?", "{t}의 대표적인 예시를 들어주세요."],
    "en": ["What is {t}?", "What are the advantages and disadvantages of {t}?", "When would you use {t}?",
           "How does {t} work internally?", "Give a real-world example of {t}."],
}
SUBS = {
    "ko": ["{t}을(를) 구현할 때 주의할 점은?", "{t}의 시간 복잡도는 어떻게 되나요?"],
    "en": ["What pitfalls come up when implementing {t}?", "What is the time complexity of {t}?"],
}
ADDED_TEMPLATE = {"ko": "{t}의 한계는 무엇인가요?", "en": "What are the limits of {t}?"}
REWORD = {  # how upstream reworded a question (by template)
    "ko": [("에 대해 설명해주세요.", "에 대해 자세히 설명해 주세요."), ("의 장단점은 무엇인가요?", "의 장점과 단점은 무엇인가요?"),
           ("은(는) 언제 사용하나요?", "은(는) 어떤 상황에서 사용하나요?"), ("의 동작 원리는", "이(가) 동작하는 원리는"),
           ("예시를 들어주세요.", "예시를 하나 들어주세요.")],
    "en": [("What is ", "What exactly is "), ("advantages and disadvantages", "pros and cons"),
           ("When would you use", "In which situations would you use"), ("work internally?", "work under the hood?"),
           ("Give a real-world", "Give one real-world")],
}
# Answers are put together from these parts, so that two answers share about as much as two real
# answers in one collection do (a Dice similarity of 0.2-0.4), not whole sentences.
PARTS = {
    "ko": (["데이터", "메모리", "입력", "모델", "요청", "자원", "캐시", "분포", "오차", "경로", "버퍼", "커널", "표본", "큐"],
           ["크기가", "순서가", "분산이", "비용이", "지연이", "개수가", "범위가", "상태가", "우선순위가", "밀도가"],
           ["커지면", "바뀌면", "줄어들면", "불안정하면", "겹치면", "몰리면", "치우치면", "끊기면"],
           ["성능이 떨어진다", "결과가 흔들린다", "다시 계산해야 한다", "병목이 생긴다", "정확도가 오른다", "처리량이 는다",
            "응답이 늦어진다", "충돌이 잦아진다", "수렴이 빨라진다", "기록을 남겨야 한다"]),
    "en": (["the data", "memory", "the input", "the model", "a request", "the resource", "the cache", "latency",
            "the error", "the path", "a buffer", "the kernel", "a sample", "the queue"],
           ["grows", "shifts", "shrinks", "spikes", "overlaps", "drifts", "stalls", "fragments"],
           ["under load", "at startup", "after a failure", "over time", "in bursts", "across regions", "per client"],
           ["throughput drops", "results become unstable", "work must be redone", "a bottleneck appears",
            "accuracy improves", "responses slow down", "conflicts multiply", "convergence speeds up"]),
}


@dataclass
class Q:
    ident: str
    lang: str
    text1: str | None  # None: added in state 2
    text2: str
    answer1: str
    answer2: str
    placeholder: bool = False
    children: list[Q] = field(default_factory=list)
    parent: Q | None = None
    heading: bool = True  # the section restates the question as a heading
    extras: list[str] = field(default_factory=list)  # what the answer holds: image, math, link...

    def text(self, state: int) -> str | None:
        return self.text1 if state == 1 else self.text2

    def answer(self, state: int) -> str:
        return self.answer1 if state == 1 else self.answer2


def _answer(rng: random.Random, lang: str, term: str, tag: str) -> str:
    subject, change, when, effect = PARTS[lang]
    if lang == "ko":
        parts = [f"{rng.choice(subject)}의 {rng.choice(change)} {rng.choice(when)} {rng.choice(effect)}" for _ in range(3)]
        return f"{term}은(는) {parts[0]}. 또한 {parts[1]}. 정리하면 {parts[2]} ({tag})."
    parts = [f"when {rng.choice(subject)} {rng.choice(change)} {rng.choice(when)}, {rng.choice(effect)}" for _ in range(3)]
    return f"With {term}, {parts[0]}. Also, {parts[1]}; in short, {parts[2]} ({tag})."


def _png(seed: int) -> bytes:
    raw = b"".join(b"\x00" + bytes((seed * 37 % 256, seed * 91 % 256, 90)) * 3 for _ in range(3))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 3, 3, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Collection:
    """The questions of both states, in each state's order, and the files they make."""

    def __init__(self, seed: int = 20240601, removals: bool = False):
        rng = random.Random(seed)
        self.files: list[tuple[tuple, list[Q], list[Q]]] = []  # (topic, state-1 order, state-2 order)
        for f, topic in enumerate(TOPICS):
            _, _, _, _, lang, terms, new_terms = topic
            first: list[Q] = []
            count = 0
            for t, term in enumerate(terms):
                for k, template in enumerate(TEMPLATES[lang]):
                    if (t + k) % 10 == 9:
                        continue  # not every term has every question: 45 per file
                    text = template.format(t=term)
                    q = Q(f"{f}.{t}.{k}", lang, text, text, "", "")
                    q.answer1 = q.answer2 = _answer(rng, lang, term, f"{f}-{t}-{k}")
                    q.heading = count % 7 != 3  # some sections leave the question to the contents
                    if count % 9 == 4:
                        for s, sub in enumerate(SUBS[lang]):
                            c = Q(f"{q.ident}.{s}", lang, sub.format(t=term), sub.format(t=term), "", "", parent=q)
                            c.answer1 = c.answer2 = _answer(rng, lang, term, f"{f}-{t}-{k}-{s}")
                            q.children.append(c)
                    first.append(q)
                    count += 1
            # Placeholders: an empty section and one with only References. No note, both states.
            first[11].placeholder = True
            first[27].placeholder = True
            first[27].extras.append("refs-only")

            second = list(first)
            # Rewordings (4 per file) and rewritten answers (4 per file).
            for n, q in enumerate(x for x in first if not x.placeholder and not x.children):
                k = int(q.ident.split(".")[2])
                if n % 10 == 2:
                    old, new = REWORD[lang][k]
                    assert old in q.text1, (q.text1, old)
                    q.text2 = q.text1.replace(old, new)
                elif n % 10 == 6:
                    q.answer2 = _answer(rng, lang, terms[int(q.ident.split(".")[1])], f"rewritten-{q.ident}")
            # Added: two new terms (4 questions each), a new question on an old term, a sub-question.
            added: list[Q] = []
            for t, term in enumerate(new_terms):
                for k, template in enumerate(TEMPLATES[lang][:4]):
                    text = template.format(t=term)
                    q = Q(f"{f}.new{t}.{k}", lang, None, text, "", "")
                    q.answer2 = _answer(rng, lang, term, f"new-{f}-{t}-{k}")
                    added.append(q)
            extra = Q(f"{f}.extra", lang, None, ADDED_TEMPLATE[lang].format(t=terms[0]), "", "")
            extra.answer2 = _answer(rng, lang, terms[0], f"extra-{f}")
            added.append(extra)
            host = next(q for q in first if q.children)
            sub = Q(f"{host.ident}.new", lang, None,
                    ("{t}을(를) 테스트하는 방법은?" if lang == "ko" else "How would you test {t}?").format(
                        t=terms[int(host.ident.split(".")[1])]), "", "", parent=host)
            sub.answer2 = _answer(rng, lang, "x", f"newsub-{f}")
            self.new_subs = getattr(self, "new_subs", []) + [sub]
            # Upstream inserts new questions at the top and in the middle: every section renumbers.
            if removals:  # upstream also drops a question now and then
                self.removed = getattr(self, "removed", []) + [first[30]]
                second.remove(first[30])
            second[0:0] = added[:3]
            second[20:20] = added[3:6]
            second.extend(added[6:])
            self.files.append((topic, first, second))
        self._cross_links()

    def _cross_links(self) -> None:
        """Some answers link to another question: same file, other file, generic or meaningful text."""
        n = 0
        for f, (_topic, first, _second) in enumerate(self.files):
            for i, q in enumerate(first):
                if q.placeholder:
                    continue
                n += 1
                if n % 6 == 0:
                    q.extras.append(("link-here", first[(i + 5) % len(first)]))
                if n % 10 == 0:
                    other = self.files[(f + 1) % len(self.files)][1][i % 30]
                    q.extras.append(("link-other", other))
                if n % 8 == 0:
                    q.extras.append("image-relative")
                if n % 11 == 0:
                    q.extras.append("image-root")
                if n % 5 == 0:
                    q.extras.append("math")
                if n % 13 == 0:
                    q.extras.append("math-image")

    # -- writing a state ------------------------------------------------------------------------

    def write(self, state: int, root: Path) -> Path:
        """Write the collection of one state into root (a checkout); return its answers/ folder."""
        answers = root / "answers"
        answers.mkdir(parents=True, exist_ok=True)
        for old in answers.glob("*.md"):
            old.unlink()
        (root / ".git").mkdir(exist_ok=True)
        images = root / "images"
        images.mkdir(exist_ok=True)
        for k in range(6):
            (images / f"fig-{k}.png").write_bytes(_png(k + 1))
        self.anchor: dict[str, tuple[str, str]] = {}  # ident -> (file, anchor) in this state
        for topic, first, second in self.files:
            order = first if state == 1 else second
            name = topic[0] if state == 1 else topic[1]
            for number, q in enumerate(order, 1):
                self.anchor[q.ident] = (name, str(number))
                for s, c in enumerate(self._children(q, state), 1):
                    self.anchor[c.ident] = (name, f"{number}-{s}")
        lines_of = {}
        for topic, first, second in self.files:
            order = first if state == 1 else second
            name = topic[0] if state == 1 else topic[1]
            title = topic[2] if state == 1 else topic[3]
            lines_of[name] = self._file(state, name, title, order)
        for name, text in lines_of.items():
            (answers / name).write_text(text, encoding="utf-8")
        return answers

    def _children(self, q: Q, state: int) -> list[Q]:
        subs = list(q.children)
        if state == 2:
            subs += [s for s in self.new_subs if s.parent is q]
        return subs

    def _file(self, state: int, name: str, title: str, order: list[Q]) -> str:
        lang = order[0].lang
        notice = ("> 📌 질문은 여러 면접 후기를 참고하였습니다. 무엇이 빠졌나요? 이슈로 알려 주세요."
                  if lang == "ko" else "> **Notice**: what is missing? Pull requests are welcome.")
        out = [f"# {title}", "", notice, "", "**:book: Contents**", ""]
        for q in order:
            out.append(f"- [{self._toc(q, state)}](#{self.anchor[q.ident][1]})")
            for c in self._children(q, state):
                out.append(f"  - [{c.text(state)}](#{self.anchor[c.ident][1]})")
        out += ["", "---", ""]
        for q in order:
            out += self._section(q, state, name)
            for c in self._children(q, state):
                out += self._section(c, state, name)
        return "\n".join(out) + "\n"

    @staticmethod
    def _toc(q: Q, state: int) -> str:
        text = q.text(state)
        # The contents often shorten what the heading states in full.
        return text.replace("자세히 ", "").replace("exactly ", "") if q.heading else text

    def _section(self, q: Q, state: int, name: str) -> list[str]:
        out = [f"## #{self.anchor[q.ident][1]}", ""]
        if q.heading:
            out += [f"### {q.text(state)}", ""]
        refs = ["#### References", "", f"- [{q.ident} 자료](https://example.com/{quote(q.ident)})", ""]
        if q.placeholder:
            return out + (refs if "refs-only" in q.extras else []) + ["---", ""]
        body = q.answer(state)
        for extra in q.extras:
            if isinstance(extra, tuple):
                kind, target = extra
                if target.ident not in self.anchor:
                    continue  # upstream removed the question it linked to, and the link with it
                file, anchor = self.anchor[target.ident]
                if kind == "link-here":
                    body += f" 관련 질문은 [여기](#{anchor})를 보라."
                else:
                    href = f"./{file}#{anchor}" if file != name else f"#{anchor}"
                    body += f" See [{anchor}]({href})."
        out += [body, ""]
        if "math" in q.extras:
            out += ["$$", "O(n \\log n) + \\sum_{i=1}^{n} x_i", "$$", ""]
        if "math-image" in q.extras:
            tex = "\\frac{a}{b}"
            out += [f"<!-- $${tex}$$ -->",
                    f'<p align="center"><img src="https://render.githubusercontent.com/render/math?math={quote(tex)}"></p>',
                    ""]
        if "image-relative" in q.extras:
            out += [f"![diagram](../images/fig-{len(q.ident) % 6}.png)", ""]
        if "image-root" in q.extras:
            out += [f'<div align="center"><img src="/images/fig-{len(q.ident) % 3}.png" width="50%"></div>', ""]
        return out + refs + ["---", ""]

    # -- what a reader should get ----------------------------------------------------------------

    def answered(self, state: int) -> list[Q]:
        """Every question a reader sees in a state (sub-questions included)."""
        found = []
        for _topic, first, second in self.files:
            for q in first if state == 1 else second:
                for x in (q, *self._children(q, state)):
                    if not x.placeholder and x.text(state) is not None:
                        found.append(x)
        return found


# --- the test ------------------------------------------------------------------------------------


def test_a_collection_updated_upstream_keeps_every_unchanged_questions_history(run_cli, tmp_path, anki):
    coll = Collection()
    checkout = tmp_path / "interview"
    dist = tmp_path / "dist"
    answers = coll.write(1, checkout)
    v1 = coll.answered(1)
    assert len(v1) == 6 * (45 - 2) + 6 * 5 * 2 == 318  # 43 answered per file, 5 with 2 sub-questions each

    first = run_cli("build", str(answers), "-o", str(dist))
    assert first.exit_code == 0, first.output
    assert "318 notes (60 sub-questions)" in first.output, first.output
    # The only warnings: the two placeholder sections of each file (one empty, one only References),
    # and, at this first build, that the deck is named after its folder.
    assert first.stderr.count("has no answer") == 12, first.stderr
    assert first.stderr.count("warning:") == 13 and "warning: this deck's title" in first.stderr, first.stderr
    anki.import_package(dist / "answers-v1.0.0.apkg")
    _check_cards(anki, coll, 1)
    before = _review_all(anki)
    assert len(before) == 318
    nid_of = {n["Question"]: n.id for n in anki.notes()}
    assert len(nid_of) == 318

    answers = coll.write(2, checkout)
    v2 = coll.answered(2)
    added = [q for q in v2 if q.text1 is None]
    reworded = [q for q in v2 if q.text1 is not None and q.text1 != q.text2]
    rewritten = [q for q in v2 if q.text1 is not None and q.answer1 != q.answer2]
    assert (len(v2), len(added), len(reworded), len(rewritten)) == (378, 60, 24, 24)

    second = run_cli("build", str(answers), "-o", str(dist))
    assert second.exit_code == 0, second.output
    out = second.stdout
    assert "378 notes (66 sub-questions)" in out and "answers-v1.1.0.apkg" in out, out
    assert out.count("re-identified: ") == 24 and "removed: " not in out, out
    assert "added: " in out and "… and 35 more added (all in CHANGELOG.md)" in out, out
    entry = (dist / "CHANGELOG.md").read_text(encoding="utf-8").split("## 1.0.0")[0]
    added = entry.split("### Added\n", 1)[1].split("\n\n", 1)[0]
    assert len(added.splitlines()) == 60
    for q in reworded:
        assert f"re-identified: {q.text1} → {q.text2}" in out

    result = anki.import_package(dist / "answers-v1.1.0.apkg")
    assert len(result.log.conflicting) == 0
    after = _schedule(anki)
    # Every card reviewed before is still there, with exactly its scheduling and review log.
    assert {cid: after[cid] for cid in before} == before
    assert len(after) == 378
    notes = {n["Question"]: n for n in anki.notes()}
    assert len(notes) == 378 == len(anki.notes()), "duplicate notes"
    for q in v2:
        note = notes[q.text2]
        if q.text1 is None:
            assert note.id not in nid_of.values(), q.text2
        else:
            # Unchanged and reworded questions alike continue the note they had.
            assert note.id == nid_of[q.text1], (q.text1, q.text2)
    _check_cards(anki, coll, 2)
    assert "is up to date (version 1.1.0)" in run_cli("build", str(answers), "-o", str(dist)).output


def test_a_removed_question_is_not_continued_by_an_added_one_that_only_shares_its_template(run_cli, tmp_path):
    coll = Collection(removals=True)
    answers = coll.write(1, tmp_path / "interview")
    assert run_cli("build", str(answers), "-o", str(tmp_path / "dist")).exit_code == 0
    answers = coll.write(2, tmp_path / "interview")
    result = run_cli("build", str(answers), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output
    wrong = [line for line in result.stdout.splitlines()
             if "re-identified: " in line and any(f"re-identified: {q.text1} →" in line for q in coll.removed)]
    assert wrong == []
    assert result.stdout.count("removed: ") == len(coll.removed) == 6


def _check_cards(anki, coll: Collection, state: int) -> None:
    """Every answered question is a note with its answer, context, images and math; no dead links."""
    notes = {n["Question"]: n for n in anki.notes()}
    media = Path(anki.col.media.dir())
    for q in coll.answered(state):
        note = notes[q.text(state)]
        answer = note["Answer"]
        assert q.answer(state).rsplit(" (", 1)[0] in answer, q.ident
        assert note["Context"] == (q.parent.text(state) if q.parent else "")
        assert answer.count('<div class="dg-refs">') == 1 and f"{q.ident} 자료" in answer, q.ident
        for href in re.findall(r'href="([^"]*)"', answer):
            assert href.startswith("https://"), (q.ident, href)
        for src in re.findall(r'src="([^"]*)"', answer):
            assert (media / src).is_file(), (q.ident, src)
        if "math" in q.extras:
            assert "\\[O(n \\log n) + \\sum_{i=1}^{n} x_i\\]" in answer
        if "math-image" in q.extras:
            assert "\\[\\frac{a}{b}\\]" in answer and "render/math" not in answer
        for extra in q.extras:
            if isinstance(extra, tuple) and extra[1].text(state) is None:
                continue
            if isinstance(extra, tuple) and extra[0] == "link-here":
                assert f"관련 질문은 “{extra[1].text(state)}”를 보라." in answer
            elif isinstance(extra, tuple):
                assert f"See “{extra[1].text(state)}”." in answer
        if "image-relative" in q.extras or "image-root" in q.extras:
            assert "<img src=" in answer
