"""A deck living in a real Anki collection: a notetype that may grow, new cards in the files'
order, and notes that carry the date they were first built."""

from __future__ import annotations

import json
import time
from pathlib import Path

from deckgen import notetype
from deckgen.build import build
from deckgen.model import BuildConfig
from deckgen.notetype import SCHEMA, Schema, Template
from tests.conftest import read_lock

DAY = 86_400


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deckgen.toml").write_text('title = "면접"\nslug = "interview"\n', encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _review_first(anki) -> int:
    """Answer one card 'Good' and return its id."""
    cid = sorted(anki.col.find_cards(""))[0]
    card = anki.col.get_card(cid)
    card.start_timer()
    anki.col.sched.answerCard(card, 3)
    return cid


# --- the schema --------------------------------------------------------------------------------


def test_the_notetype_schema_is_frozen():
    """Fields and card types, their ids, order and the sort field: changing any of them leaves every
    note a collection holds "conflicting", so they are written down here, for good."""
    assert SCHEMA.fields == (
        (7_301_001, "Question"),
        (7_301_002, "Answer"),
        (7_301_003, "Context"),
        (7_301_004, "Keywords"),
        (7_301_005, "Source"),
    )
    assert SCHEMA.templates == (Template(7_302_001, "Card", "front.html", "back.html"),)
    assert SCHEMA.sort_field == 0
    assert notetype.NOTETYPE_ID == 1_706_300_000_042 and notetype.NOTETYPE_NAME == "deckgen Q&A"
    assert SCHEMA.fingerprint() == "72e3300174d2cdf6"  # what every lock records
    # What genanki writes of it: the same ids, in the same order.
    model = notetype.make_notetype(".card {}").to_json(0, 1)
    assert [(f["id"], f["name"], f["ord"]) for f in model["flds"]] == [(i, n, k) for k, (i, n) in enumerate(SCHEMA.fields)]
    assert [(t["id"], t["name"], t["ord"]) for t in model["tmpls"]] == [(7_302_001, "Card", 0)]
    assert model["sortf"] == 0 and model["type"] == 0


def test_the_notetype_hash_covers_the_whole_notetype(monkeypatch):
    before = notetype.notetype_hash(".card {}")
    assert notetype.notetype_hash(".card { color: red }") != before
    grown = Schema(SCHEMA.fields, (*SCHEMA.templates, Template(7_302_002, "Reverse", "front.html", "back.html")))
    monkeypatch.setattr(notetype, "SCHEMA", grown)
    assert notetype.notetype_hash(".card {}") != before
    assert grown.fingerprint() != SCHEMA.fingerprint()
    # A renamed field keeps its id: it updates in place, so it is no schema change.
    renamed = Schema(((7_301_001, "Front"), *SCHEMA.fields[1:]), SCHEMA.templates)
    assert renamed.fingerprint() == SCHEMA.fingerprint()
    monkeypatch.setattr(notetype, "SCHEMA", renamed)
    assert notetype.notetype_hash(".card {}") != before


def test_a_schema_change_is_refused_then_migrates_as_documented(run_cli, tmp_path, anki, monkeypatch):
    notes = _write(tmp_path / "notes", {"01-stack.md": "# 자료구조\n\n## 스택이란?\n\n나중에 넣은 것을 먼저 꺼낸다.\n\n"
                                                       "## 큐란?\n\n먼저 넣은 것을 먼저 꺼낸다.\n"})
    dist = tmp_path / "dist"
    assert run_cli("build", str(notes), "-o", str(dist)).exit_code == 0
    anki.import_package(dist / "interview-v1.0.0.apkg")
    reviewed = _review_first(anki)
    lock_before = (notes / "deckgen.lock").read_bytes()

    # A later deckgen whose notetype has a second card type.
    grown = Schema(SCHEMA.fields, (*SCHEMA.templates, Template(7_302_002, "Reverse", "front.html", "back.html")))
    monkeypatch.setattr(notetype, "SCHEMA", grown)
    refused = run_cli("build", str(notes), "-o", str(dist))
    assert refused.exit_code == 1
    assert "other fields or card types" in refused.stderr and "--migrate-notetype" in refused.stderr
    assert "Traceback" not in refused.output + refused.stderr
    assert (notes / "deckgen.lock").read_bytes() == lock_before
    assert sorted(p.name for p in dist.glob("*.apkg")) == ["interview-v1.0.0.apkg"]

    migrated = run_cli("build", str(notes), "-o", str(dist), "--migrate-notetype")
    assert migrated.exit_code == 0, migrated.output + migrated.stderr
    assert (dist / "interview-v2.0.0.apkg").exists()
    assert "in Anki:" in migrated.output and "Merge note types" in migrated.output
    changelog = (dist / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split("## 2.0.0", 1)[1].split("\n## ", 1)[0]
    assert '"Merge note types" on' in entry and "uncheck" in entry.lower()
    assert json.loads((notes / "deckgen.lock").read_text(encoding="utf-8"))["notetype"]["schema"] == grown.fingerprint()

    # As the steps say: once with "Merge note types" on ...
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER as IF_NEWER

    options = ImportAnkiPackageOptions(merge_notetypes=True, update_notes=IF_NEWER, update_notetypes=IF_NEWER)
    anki.col.import_anki_package(ImportAnkiPackageRequest(package_path=str(dist / "interview-v2.0.0.apkg"),
                                                          options=options))
    anki.col.models._clear_cache()
    names = [m.name for m in anki.col.models.all_names_and_ids()]
    assert names.count("deckgen Q&A") == 1 and not any(n.startswith("deckgen Q&A") and n != "deckgen Q&A" for n in names)
    assert len(anki.notes()) == 2
    assert len(anki.col.find_cards("")) == 4  # every note has its new card type
    assert anki.col.db.scalar("select count() from revlog where cid = ?", reviewed) == 1
    assert anki.col.get_card(reviewed).reps == 1

    # ... then as usual: the next version updates the notes, and the migration is not asked again.
    (notes / "01-stack.md").write_text("# 자료구조\n\n## 스택이란?\n\n나중에 넣은 것부터 꺼낸다 (LIFO).\n\n"
                                       "## 큐란?\n\n먼저 넣은 것을 먼저 꺼낸다.\n", encoding="utf-8")
    again = run_cli("build", str(notes), "-o", str(dist))
    assert again.exit_code == 0, again.output + again.stderr
    assert "in Anki:" not in again.output
    log = anki.import_package(dist / "interview-v2.0.1.apkg").log
    assert len(log.updated) == 1 and not log.conflicting
    assert "LIFO" in anki.note_by_question("스택이란")["Answer"]
    assert anki.col.get_card(reviewed).reps == 1


def test_a_lock_from_before_the_schema_was_recorded_takes_this_schema(run_cli, tmp_path):
    notes = _write(tmp_path / "notes", {"01.md": "# 기초\n\n## 스택이란?\n\n나중에 넣은 것을 먼저 꺼낸다.\n"})
    assert run_cli("build", str(notes), "-o", str(tmp_path / "dist")).exit_code == 0
    lock = json.loads((notes / "deckgen.lock").read_text(encoding="utf-8"))
    del lock["notetype"]["schema"]
    (notes / "deckgen.lock").write_text(json.dumps(lock, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (notes / "01.md").write_text("# 기초\n\n## 스택이란?\n\n나중에 넣은 것부터 꺼낸다.\n", encoding="utf-8")
    result = run_cli("build", str(notes), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output + result.stderr
    assert (tmp_path / "dist" / "interview-v1.0.1.apkg").exists()
    assert json.loads((notes / "deckgen.lock").read_text(encoding="utf-8"))["notetype"]["schema"] == SCHEMA.fingerprint()


# --- new cards: the files' order; notes: their creation date -----------------------------------

# Titles that sort against the files' order: "하" comes after "가" in Anki's deck list.
_ORDERED = {
    "01-first.md": "# 하나: 자료구조\n\n"
                   "- **스택이란?**\n  - 나중에 넣은 것을 먼저 꺼낸다.\n"
                   "  - **스택은 어디에 쓰이나요?**\n    - 함수 호출과 되돌리기에 쓰인다.\n"
                   "- **큐란?**\n  - 먼저 넣은 것을 먼저 꺼낸다.\n",
    "02-second.md": "# 가나다: 알고리즘\n\n- **이진 탐색이란?**\n  - 정렬된 배열을 반씩 나누어 찾는다.\n",
}


def _due_order(anki) -> list[str]:
    rows = anki.col.db.all("select n.sfld, c.due from cards c join notes n on n.id = c.nid order by c.due, c.id")
    return [str(q) for q, _ in rows]


def test_new_cards_follow_the_files_with_sub_questions_after_the_questions(run_cli, tmp_path, anki):
    notes = _write(tmp_path / "notes", _ORDERED)
    assert run_cli("build", str(notes), "-o", str(tmp_path / "dist")).exit_code == 0
    anki.import_package(tmp_path / "dist" / "interview-v1.0.0.apkg")
    order = _due_order(anki)
    assert [q.split("?")[0][-6:] for q in order] == [q.split("?")[0][-6:] for q in
                                                    ("스택이란?", "큐란?", "스택은 어디에 쓰이나요?", "이진 탐색이란?")]
    # With new cards gathered by position (deck options), Anki shows them in that order.
    root = anki.col.decks.id_for_name("면접")
    conf = anki.col.decks.config_dict_for_deck_id(root)
    conf["newGatherPriority"] = 1  # lowest position first
    conf["newSortOrder"] = 1  # in the order gathered
    anki.col.decks.update_config(conf)
    anki.col.decks.select(root)
    shown = []
    for _ in range(4):
        card = anki.col.sched.getCard()
        shown.append(card.note()["Question"])
        anki.col.sched.answerCard(card, 4)
    assert ["스택이란" in shown[0], "큐란" in shown[1], "어디에 쓰이나요" in shown[2], "이진 탐색" in shown[3]] == [True] * 4


def test_a_question_added_later_takes_its_place_in_the_file(tmp_path, anki):
    notes = _write(tmp_path / "notes", _ORDERED)
    first = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000))
    anki.import_package(first.package)
    text = _ORDERED["01-first.md"].replace("- **큐란?**", "- **덱이란?**\n  - 양쪽 끝에서 넣고 꺼낸다.\n- **큐란?**")
    (notes / "01-first.md").write_text(text, encoding="utf-8")
    second = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000 + DAY))
    anki.import_package(second.package)
    order = _due_order(anki)
    assert order.index(next(q for q in order if "덱이란" in q)) < order.index(next(q for q in order if "이진 탐색" in q))


def test_new_notes_carry_the_date_they_were_first_built(tmp_path, anki):
    notes = _write(tmp_path / "notes", {"01.md": "# 기초\n\n## 스택이란?\n\n나중에 넣은 것을 먼저 꺼낸다.\n"})
    then = int(time.time()) - 10 * DAY
    first = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=then))
    anki.import_package(first.package)
    (notes / "01.md").write_text("# 기초\n\n## 스택이란?\n\n나중에 넣은 것부터 꺼낸다.\n\n## 큐란?\n\n먼저 넣은 것을 먼저 꺼낸다.\n",
                                 encoding="utf-8")
    second = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist"))
    anki.import_package(second.package)
    old, new = anki.note_by_question("스택이란"), anki.note_by_question("큐란")
    assert old.id // 1000 == then and abs(new.id // 1000 - time.time()) < 600
    assert [anki.col.get_card(c).nid for c in anki.col.find_cards("added:1")] == [new.id]
    assert sorted(anki.col.find_cards("added:30")) == sorted(anki.col.find_cards(""))
    lock = read_lock(notes)
    assert [e["added"] for e in lock["notes"]] == [then, new.id // 1000]


def test_a_rebuild_of_the_same_state_is_byte_identical_with_creation_dates(tmp_path):
    notes = _write(tmp_path / "notes", _ORDERED)
    build(BuildConfig(sources=(notes,), outdir=tmp_path / "one", timestamp=1_800_000_000))
    lock = (notes / "deckgen.lock").read_bytes()
    # The same notes and lock in another place, built later: the same package, byte for byte.
    other = tmp_path / "copy"
    other.mkdir()
    for p in notes.iterdir():
        (other / p.name).write_bytes(p.read_bytes())
    (other / "deckgen.lock").write_bytes(lock)
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "CHANGELOG.md").write_bytes((tmp_path / "one" / "CHANGELOG.md").read_bytes())
    build(BuildConfig(sources=(other,), outdir=tmp_path / "two", timestamp=1_900_000_000))
    one, two = (tmp_path / d / "interview-v1.0.0.apkg" for d in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()


def test_a_lock_recovered_from_the_package_keeps_the_creation_dates(tmp_path):
    notes = _write(tmp_path / "notes", _ORDERED)
    build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000))
    lock = read_lock(notes)
    assert {e["added"] for e in lock["notes"]} == {1_800_000_000}
    (notes / "deckgen.lock").unlink()
    (notes / "01-first.md").write_text(_ORDERED["01-first.md"] + "- **힙이란?**\n  - 가장 작은 것이 맨 위에 있다.\n",
                                       encoding="utf-8")
    build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000 + DAY))
    recovered = read_lock(notes)
    added = {e["question"]: e["added"] for e in recovered["notes"]}
    assert added.pop("힙이란?") == 1_800_000_000 + DAY
    assert set(added.values()) == {1_800_000_000}


# --- a renamed deck ----------------------------------------------------------------------------


def test_a_rename_on_the_command_line_is_kept_in_the_settings(run_cli, tmp_path, anki):
    notes = _write(tmp_path / "notes", _ORDERED)
    (notes / "deckgen.toml").write_text('# my deck\ntitle = "면접"  # the root deck\nslug = "interview"\n\n'
                                        '[files."02-second.md"]\ndeck = "탐색"\n', encoding="utf-8")
    dist = tmp_path / "dist"
    assert run_cli("build", str(notes), "-o", str(dist)).exit_code == 0
    anki.import_package(dist / "interview-v1.0.0.apkg")
    reviewed = _review_first(anki)

    renamed = run_cli("build", str(notes), "-o", str(dist), "--deck-name", "기술 면접")
    assert renamed.exit_code == 0, renamed.output + renamed.stderr
    assert (dist / "interview-v2.0.0.apkg").exists()
    lines = [line for line in renamed.output.splitlines() if "renamed" in line or "moved" in line]
    assert len(lines) == 1 and '"면접" → "기술 면접"' in lines[0] and "rename the deck in Anki too" in lines[0]
    assert (notes / "deckgen.toml").read_text(encoding="utf-8") == (
        '# my deck\ntitle = "기술 면접"  # the root deck\nslug = "interview"\n\n[files."02-second.md"]\ndeck = "탐색"\n')
    assert "Deck renamed" in (dist / "CHANGELOG.md").read_text(encoding="utf-8")

    # The next plain build keeps the name: nothing to do, no rename back.
    again = run_cli("build", str(notes), "-o", str(dist))
    assert again.exit_code == 0 and "up to date" in again.output
    assert sorted(p.name for p in dist.glob("*.apkg")) == ["interview-v1.0.0.apkg", "interview-v2.0.0.apkg"]

    # Renamed in Anki as the line says, the import puts every card where it was, history and all.
    anki.col.decks.rename(anki.col.decks.id_for_name("면접"), "기술 면접")
    anki.import_package(dist / "interview-v2.0.0.apkg")
    decks = {anki.deck_of(n) for n in anki.notes()}
    assert decks == {"기술 면접::하나: 자료구조", "기술 면접::탐색"}
    assert anki.col.decks.id_for_name("면접") is None
    assert anki.col.get_card(reviewed).reps == 1 and len(anki.notes()) == 4
