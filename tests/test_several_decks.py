"""Several deckgen decks in one collection, in real Anki: they share the one notetype "deckgen Q&A",
so its CSS and mtime must not depend on a deck, and their notes must never share a GUID."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from deckgen import fonts, ids
from deckgen.notetype import NOTETYPE_MTIME
from deckgen.style import notetype_css
from tests.conftest import FIXTURES, AnkiCollection, read_lock
from tests.test_regenerate import _review_all, _schedule
from tests.test_render_chromium import start_chromium

RULE = re.compile(r'@font-face \{[^}]*url\("([^"]+)"\)[^}]*font-weight: (\d+);[^}]*?(?:unicode-range: ([^;]+);)? \}')

# Characters beyond the base font subset, each in a block of its own but for the one both share.
ALPHA = "똠σ"  # a syllable outside KS X 1001, Greek
BETA = "뷁éσ"  # another rare syllable, Latin-1, and the Greek alpha has too
ALPHA_LATER = "햏"  # added to alpha after both decks were imported, in a block of its own


def _write_deck(folder: Path, title: str, slug: str, questions: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deckgen.toml").write_text(f'title = "{title}"\nslug = "{slug}"\n', encoding="utf-8")
    (folder / "01-basics.md").write_text(
        "# 기초\n\n" + "".join(f"- **{q}**\n  - {a}\n" for q, a in questions), encoding="utf-8")
    return folder


def _newest(dist: Path) -> Path:
    return max(dist.glob("*.apkg"), key=lambda p: tuple(int(n) for n in re.findall(r"\d+", p.stem)[-3:]))


def _covering(css: str, char: str, weight: int) -> list[str]:
    """The files of the @font-face rules that draw `char` in `weight` (a rule with no range: any)."""
    found = []
    for name, rule_weight, ranges in RULE.findall(css):
        if int(rule_weight) != weight:
            continue
        spans = [s.removeprefix("U+").partition("-") for s in ranges.split(", ")] if ranges else []
        if not ranges or any(int(lo, 16) <= ord(char) <= int(hi or lo, 16) for lo, _, hi in spans):
            found.append(name)
    return found


def _notetype(collection: AnkiCollection) -> dict:
    """The shared notetype as the collection now holds it (an import leaves anki's cache stale)."""
    collection.col.models._clear_cache()
    return collection.col.models.by_name("deckgen Q&A")


def _assert_drawn(collection: AnkiCollection, chars: str) -> None:
    """Every character is drawn, in both weights, by a face of the notetype's CSS whose file is in
    the collection's media and holds it (the block, not only the base subset that lacks it)."""
    media = Path(collection.col.media.dir())
    css = _notetype(collection)["css"]
    for char in chars:
        assert fonts.block_of(char) is not None, f"{char} is not beyond the base set"
        for weight in (400, 700):
            drawn = [name for name in _covering(css, char, weight)
                     if (media / name).is_file() and ord(char) in TTFont(media / name).getBestCmap()]
            assert drawn, f"{char} (weight {weight}) has no font file in the collection"


def test_two_decks_keep_every_character_in_its_font_and_every_review_in_either_order(run_cli, tmp_path, anki):
    alpha = _write_deck(tmp_path / "one" / "notes", "알파", "alpha", [
        ("똠은 무엇인가요?", "드문 음절 똠"), ("표준편차 σ는?", "흩어진 정도 σ")])
    beta = _write_deck(tmp_path / "two" / "notes", "베타", "beta", [
        ("뷁은 무엇인가요?", "드문 음절 뷁"), ("café의 é는?", "라틴 문자 é, 그리스 문자 σ")])
    for deck in (alpha, beta):
        result = run_cli("build", str(deck), "-o", str(deck.parent / "dist"))
        assert result.exit_code == 0 and result.stderr == "", result.output + result.stderr
    (tmp_path / "second-profile").mkdir()
    other = AnkiCollection(tmp_path / "second-profile")
    try:
        orders = ((anki, (alpha, beta)), (other, (beta, alpha)))
        for collection, decks in orders:
            for deck in decks:
                collection.import_package(_newest(deck.parent / "dist"))
        reviewed = {id(collection): _review_all(collection) for collection, _ in orders}
        for collection, _ in orders:
            notetype = _notetype(collection)
            # Whichever deck came last, the notetype is the same, byte for byte, at the same mtime.
            assert notetype["css"] == notetype_css() and notetype["mod"] == NOTETYPE_MTIME
            assert len(collection.notes()) == 4
            _assert_drawn(collection, ALPHA + BETA)

        # Rebuilt: alpha with a new rare character in a block neither deck had, beta with an edit.
        (alpha / "01-basics.md").write_text((alpha / "01-basics.md").read_text(encoding="utf-8")
                                            + f"- **{ALPHA_LATER}는 무엇인가요?**\n  - 새 음절 {ALPHA_LATER}\n",
                                            encoding="utf-8")
        (beta / "01-basics.md").write_text((beta / "01-basics.md").read_text(encoding="utf-8")
                                           .replace("드문 음절 뷁", "아주 드문 음절 뷁"), encoding="utf-8")
        for deck in (alpha, beta):
            result = run_cli("build", str(deck), "-o", str(deck.parent / "dist"))
            assert result.exit_code == 0 and result.stderr == "", result.output + result.stderr
        for collection, decks in orders:
            for deck in decks:
                log = collection.import_package(_newest(deck.parent / "dist")).log
                assert not log.conflicting
            notetype = _notetype(collection)
            assert notetype["css"] == notetype_css() and notetype["mod"] == NOTETYPE_MTIME
            assert len(collection.notes()) == 5
            _assert_drawn(collection, ALPHA + BETA + ALPHA_LATER)
            after = _schedule(collection)
            before = reviewed[id(collection)]
            assert {cid: after[cid] for cid in before} == before  # every review kept
            assert "아주 드문 음절 뷁" in collection.note_by_question("뷁은 무엇인가요?")["Answer"]
        # Both collections hold the same: no deck's characters depend on which came last.
        assert sorted(p.name for p in Path(anki.col.media.dir()).iterdir()) == sorted(
            p.name for p in Path(other.col.media.dir()).iterdir())
    finally:
        other.close()


def test_two_folders_of_the_same_name_never_share_a_note(run_cli, tmp_path, anki):
    decks = []
    for place, (question, answer) in (("x", ("스택이란?", "나중에 넣은 것을 먼저 꺼낸다.")),
                                      ("y", ("프로세스란?", "실행 중인 프로그램이다."))):
        notes = tmp_path / place / "notes"
        notes.mkdir(parents=True)
        (notes / "01-basics.md").write_text(
            f"# 기초\n\n* [{question}](#1)\n\n## 답변\n\n### #1\n\n{answer}\n", encoding="utf-8")
        result = run_cli("build", str(notes), "-o", str(tmp_path / place / "dist"))
        assert result.exit_code == 0, result.output + result.stderr
        # A first build named after its folder says so, once, where the names are set.
        assert result.stderr == (
            f'{place}/notes: warning: this deck\'s title "notes" and slug "notes" are its folder\'s name: a deck '
            "built from another folder of that name would share its deck in Anki (which would hold both decks' "
            f'cards) and its package name; name this one in {place}/notes/deckgen.toml (title = "…", slug = "…")\n')
        again = run_cli("build", str(notes), "-o", str(tmp_path / place / "dist"))
        assert again.exit_code == 0 and again.stderr == "", again.stderr
        lock = read_lock(notes)
        assert ids.NAMESPACE.fullmatch(lock["namespace"])
        assert [e["key"] for e in lock["notes"]] == ["01-basics.md#1"]
        decks.append((lock, question, tmp_path / place / "dist" / "notes-v1.0.0.apkg"))
    (lock_x, *_), (lock_y, *_) = decks
    assert lock_x["namespace"] != lock_y["namespace"]
    assert lock_x["notes"][0]["guid"] != lock_y["notes"][0]["guid"]
    (tmp_path / "second-profile").mkdir()
    other = AnkiCollection(tmp_path / "second-profile")
    try:
        for collection, order in ((anki, decks), (other, decks[::-1])):
            for _, _, package in order:
                collection.import_package(package)
            assert sorted(n.guid for n in collection.notes()) == sorted(
                lock["notes"][0]["guid"] for lock, *_ in decks)
            for lock, question, _ in decks:  # each note as its own deck wrote it
                assert collection.note_by_question(question).guid == lock["notes"][0]["guid"]
    finally:
        other.close()


def test_a_lock_from_before_namespaces_keeps_its_guids_and_mints_new_ones_in_a_namespace(run_cli, tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "upgrade" / "notes", notes)
    old = read_lock(notes)
    assert "namespace" not in old
    (notes / "new.md").write_text("# 새 파일\n\n- **새로 더한 질문은 무엇인가요?**\n  - 새 답이다.\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    assert "this deck's title" not in result.stderr  # not a first build
    new = read_lock(notes)
    namespace = new["namespace"]
    guids = {e["question"]: e["guid"] for e in new["notes"]}
    assert {e["guid"] for e in old["notes"]} <= {e["guid"] for e in new["notes"]}
    assert guids["새로 더한 질문은 무엇인가요?"].startswith(f"{namespace}:")
    assert all(ids.namespace_of(e["guid"]) is None for e in old["notes"])

    # The lock lost: rebuilt from the package, with every GUID and the namespace of the new one.
    (notes / "deckgen.lock").unlink()
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0 and "recovered the GUIDs" in result.stderr, result.stderr
    recovered = read_lock(notes)
    assert recovered["namespace"] == namespace
    assert {e["guid"] for e in recovered["notes"]} == {e["guid"] for e in new["notes"]}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


_FACES = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => done({
  faces: [...document.fonts].filter(f => f.family.replace(/["']/g, "") === arguments[0])
                            .map(f => [f.weight, f.status, f.unicodeRange]),
  ready: document.fonts.check(`16px "${arguments[0]}"`, document.body.textContent),
}));
"""


def test_a_face_whose_file_a_deck_does_not_ship_is_never_fetched(tmp_path, browser):
    """In Chromium: the notetype's CSS names every block, the folder holds one deck's files only
    (as a collection holding one deck does); its cards fetch just the faces their characters need."""
    from deckgen.build import collect
    from deckgen.errors import Problems
    from deckgen.model import BuildConfig
    from deckgen.style import card_css

    deck = _write_deck(tmp_path / "notes", "알파", "alpha", [("똠은 무엇인가요?", "드문 음절 똠과 σ")])
    _, files, _ = collect(BuildConfig(sources=(deck,), outdir=tmp_path), Problems())
    css, shipped = card_css(files)
    media = tmp_path / "media"
    media.mkdir()
    for path in shipped:
        shutil.copyfile(path, media / path.name)
    (media / "card.css").write_text(css, encoding="utf-8")
    blocks = {fonts.unicode_range(b.spans): b.name for b in fonts.blocks()}
    for text, needed in (("가나다 ABC", set()), ("똠 가나다", {"hangul-b600"}), ("σ와 똠", {"greek-cyrillic", "hangul-b600"})):
        page = media / "card.html"
        page.write_text('<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="card.css">'
                        f'</head><body class="card"><div class="dg-question">{text}</div>'
                        f'<p>{text}</p></body></html>', encoding="utf-8")
        browser.get(page.as_uri())
        seen = browser.execute_async_script(_FACES, fonts.FAMILY)
        statuses = {(blocks.get(where, "base"), weight): status for weight, status, where in seen["faces"]}
        assert len(statuses) == 2 + 2 * len(fonts.blocks())
        # The base faces and the blocks of the card's characters load; no other face is even asked
        # for (an unshipped file would show as "error"), and every character has its face.
        assert {key for key, status in statuses.items() if status == "loaded"} == {
            (name, weight) for name in {"base", *needed} for weight in ("400", "700")}, (text, statuses)
        assert set(statuses.values()) == {"loaded", "unloaded"}, (text, statuses)
        assert seen["ready"], text
