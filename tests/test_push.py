"""`deckgen push` into a real Anki profile: the official backend, a folder laid out as Anki lays it.

The base folder (XDG_DATA_HOME/Anki2) holds prefs21.db with the profile names and one folder per
profile with its collection.anki2, made by Anki's backend; cards are answered through its scheduler.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckgen.cli import cli
from tests.test_regenerate import _schedule, _use_state

PROFILE = "User 1"


class Profile:
    """A profile's collection, opened with Anki's backend only while a test looks into it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "collection.anki2"

    def open(self):
        from anki.collection import Collection

        return Collection(str(self.path))

    def backups(self) -> list[Path]:
        return sorted((self.folder / "backups").glob("*.colpkg"))


def _make_base(base: Path, names: list[str]) -> dict[str, Profile]:
    """Lay out an Anki base folder: prefs21.db as Anki writes it, and a collection per profile."""
    from anki.collection import Collection

    base.mkdir(parents=True)
    db = sqlite3.connect(base / "prefs21.db")
    db.execute("create table profiles (name text primary key collate nocase, data blob not null)")
    db.execute("insert into profiles values ('_global', ?)", (pickle.dumps({"ver": 0}, protocol=4),))
    profiles = {}
    for name in names:
        db.execute("insert into profiles values (?, ?)", (name, pickle.dumps({"numBackups": 50}, protocol=4)))
        (base / name).mkdir()
        Collection(str(base / name / "collection.anki2")).close()
        profiles[name] = Profile(base / name)
    db.commit()
    db.close()
    return profiles


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Anki's base folder where Anki keeps it on Linux ($XDG_DATA_HOME/Anki2), with one profile."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ANKI_BASE", raising=False)
    monkeypatch.chdir(tmp_path)
    return _make_base(tmp_path / "data" / "Anki2", [PROFILE])[PROFILE]


def deckgen(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def _notes(tmp_path: Path, state: str = "v1") -> Path:
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "deckgen.toml").write_text('title = "딥러닝"\nslug = "dl"\n', encoding="utf-8")
    _use_state(notes, state)
    return notes


def _review_all(col) -> None:
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)


class _Held:
    def __init__(self, col):
        self.col = col


def _next_second() -> None:
    """Wait for the clock's next whole second: Anki tells a collection changed since its last
    backup, and names a backup, to the second."""
    time.sleep(1 - time.time() % 1 + 0.01)


def _questions(col) -> list[str]:
    return sorted(col.get_note(nid)["Question"] for nid in col.find_notes(""))


def test_push_backs_up_imports_and_keeps_history_across_a_rebuild(tmp_path, home):
    notes = _notes(tmp_path)
    first = deckgen("push", str(notes))
    assert first.exit_code == 0, first.output
    assert "wrote dist/dl-v1.0.0.apkg" in first.output
    assert f'into profile "{PROFILE}" ({home.path}): 10 new, 0 updated, 0 unchanged (of 10 notes' in first.output
    assert len(home.backups()) == 1 and f"backed up the collection: {home.backups()[0]}" in first.output

    _next_second()  # the reviews below come after the backup, as they would in use
    col = home.open()
    # The user's own File › Import choices, which Anki keeps as the next import's defaults.
    col.set_config("updateNotes", "Always")
    col.set_config("mergeNotetypes", True)
    _review_all(col)
    before = _schedule(_Held(col))
    assert len(before) == 10 and all(state[-1] == 1 for state in before.values())
    guids = {col.get_note(nid).guid: nid for nid in col.find_notes("")}
    col.close()

    _use_state(notes, "v2")
    second = deckgen("push", str(notes))
    assert second.exit_code == 0, second.output
    assert "wrote dist/dl-v1.1.0.apkg" in second.output
    # What Anki's importer says: the added question is new; the edited, reworded and moved ones
    # are updated in place; the rest are already there.
    assert ": 1 new, 6 updated, 3 unchanged (of 10 notes in the package)" in second.output
    backups = home.backups()
    assert len(backups) == 2 and f"backed up the collection: {backups[1]}" in second.output

    col = home.open()
    try:
        after = _schedule(_Held(col))
        for cid, state in before.items():  # every card reviewed before: its scheduling and review log
            assert after[cid] == state
        assert len(set(after) - set(before)) == 1
        questions = _questions(col)
        assert len(questions) == 11 and len(set(questions)) == 11  # no duplicate; Anki deleted nothing
        assert any("학습률 스케줄링은 왜 하나요?" in q for q in questions)
        for guid, nid in guids.items():
            assert col.get_note(nid).guid == guid
        sgd = next(col.get_note(n) for n in col.find_notes("") if "SGD" in col.get_note(n)["Question"])
        assert "일반화 성능" in sgd["Answer"]
        presets = col._backend.get_import_anki_package_presets()  # what File › Import offers next
        assert presets.merge_notetypes is True
        assert col.get_config("updateNotes") == "Always"
    finally:
        col.close()

    # The backup made before the second import is the collection as it was: restored as Anki
    # restores one, it has the reviews and not yet the added question.
    from anki._backend import RustBackend
    from anki.collection import Collection

    restored = tmp_path / "restored"
    restored.mkdir()
    assert zipfile.is_zipfile(backups[1])
    RustBackend().import_collection_package(col_path=str(restored / "collection.anki2"), backup_path=str(backups[1]),
                                            media_folder=str(restored / "collection.media"),
                                            media_db=str(restored / "collection.media.db2"))
    old = Collection(str(restored / "collection.anki2"))
    try:
        assert len(old.find_notes("")) == 10
        assert old.db.scalar("select count() from revlog") == 10
        assert not any("학습률 스케줄링" in q for q in _questions(old))
    finally:
        old.close()

    # Pushed again unchanged: nothing to rebuild, every note already there.
    third = deckgen("push", str(notes))
    assert third.exit_code == 0, third.output
    assert "dist/dl-v1.1.0.apkg is up to date (version 1.1.0); nothing to do" in third.output
    assert ": 0 new, 0 updated, 10 unchanged" in third.output
    assert "kept 1 note this deck removed (`deckgen push --prune` deletes them)" in third.output


@pytest.fixture
def nothing_at_ankiconnect():
    """Hold AnkiConnect's address without listening, so that nothing answers there."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 8765))
    except OSError:
        sock.close()
        pytest.skip("something else holds 127.0.0.1:8765 (an Anki with AnkiConnect?)")
    yield
    sock.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("holder", ["another process", "this process"])
def test_a_collection_anki_holds_is_never_written(tmp_path, home, nothing_at_ankiconnect, holder):
    notes = _notes(tmp_path)
    if holder == "another process":  # as Anki desktop holds it
        held = subprocess.Popen(
            [sys.executable, "-c", "import sys\nfrom anki.collection import Collection\n"
             f"col = Collection({str(home.path)!r})\nprint('open', flush=True)\nsys.stdin.read()\ncol.close()\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert held.stdout.readline().strip() == "open"
    else:
        held = home.open()
    try:
        digest = _digest(home.path)
        result = deckgen("push", str(notes))
        assert _digest(home.path) == digest
    finally:
        if holder == "another process":
            held.stdin.close()
            held.wait(timeout=30)
            held.stdout.close()
        else:
            held.close()
    assert result.exit_code == 1
    message = result.output.strip().splitlines()[-1]
    assert message == (
        f'error: Anki has the collection open (profile "{PROFILE}" ({home.path})), and deckgen never writes a '
        "collection Anki holds: close Anki and run `deckgen push` again, or install the AnkiConnect add-on "
        "(in Anki: Tools › Add-ons › Get Add-ons…, code 2055492159) and restart Anki, so that deckgen can "
        "import through it while Anki runs; nothing was imported (nothing answers at http://127.0.0.1:8765)"
    )
    assert "Traceback" not in result.output
    assert home.backups() == []
    col = home.open()
    try:
        assert col.find_notes("") == []
    finally:
        col.close()
    assert (tmp_path / "dist" / "dl-v1.0.0.apkg").is_file()  # the build itself stands


def _other_deck(tmp_path: Path) -> Path:
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "deckgen.toml").write_text('title = "운영체제"\nslug = "os"\n', encoding="utf-8")
    (folder / "01.md").write_text("# 운영체제\n\n- **교착 상태란?**\n  - 서로의 자원을 기다리며 멈춘 상태입니다.\n"
                                  "- **학습률이 너무 크면 어떻게 되나요?**\n  - 다른 덱의 같은 질문입니다.\n",
                                  encoding="utf-8")
    return folder


def _pushed_with_reviews(tmp_path: Path, home: Profile) -> tuple[Path, set[int]]:
    """Push the deck and another deck, add notes by hand (one of deckgen's notetype), review everything.

    Every one of them has the question this deck removes later; give the ids of the hand-made ones.
    """
    notes = _notes(tmp_path)
    for folder in (notes, _other_deck(tmp_path)):
        result = deckgen("push", str(folder))
        assert result.exit_code == 0, result.output
    col = home.open()
    try:
        made = set()
        for notetype, field in (("Basic", "Front"), ("deckgen Q&A", "Question")):
            note = col.new_note(col.models.by_name(notetype))
            note[field] = "학습률이 너무 크면 어떻게 되나요?"
            col.add_note(note, col.decks.id("Default"))
            made.add(note.id)
        _review_all(col)
        assert len(col.find_notes("")) == 14
        return notes, made
    finally:
        col.close()


def test_prune_deletes_exactly_the_notes_this_deck_removed(tmp_path, home):
    notes, hand_made = _pushed_with_reviews(tmp_path, home)
    _use_state(notes, "v2")  # removes "학습률이 너무 크면 어떻게 되나요?" from this deck

    declined = deckgen("push", str(notes), "--prune", input="n\n")
    assert declined.exit_code == 0, declined.output
    assert ("1 note in the collection was removed from this deck's notes (deckgen.lock lists it):\n"
            "  학습률이 너무 크면 어떻게 되나요? (b.md, removed in 1.1.0; 1 review)\n"
            "Delete it from the collection? Its cards and their review history are lost (the backup made "
            "before the import keeps a copy) [y/N]: n\n") in declined.output
    assert "kept 1 note this deck removed: nothing was deleted" in declined.output
    no_answer = deckgen("push", str(notes), "--prune", input="")
    assert no_answer.exit_code == 0 and "nothing was deleted" in no_answer.output
    col = home.open()
    try:
        assert len(col.find_notes("")) == 15
    finally:
        col.close()

    result = deckgen("push", str(notes), "--prune", input="y\n")
    assert result.exit_code == 0, result.output
    assert "[y/N]: y\n" in result.output and "deleted 1 note this deck removed" in result.output
    col = home.open()
    try:
        left = [col.get_note(nid) for nid in col.find_notes("")]
        assert len(left) == 14
        same_question = [n for n in left if "학습률이 너무 크면" in (n.fields[0])]
        # The other deck's note with the same question and the hand-made ones are still there.
        assert len(same_question) == 3 and hand_made < {n.id for n in same_question}
        assert any("교착 상태란?" in n.fields[0] for n in left)
        assert col.db.scalar("select count() from cards where nid not in (select id from notes)") == 0
    finally:
        col.close()

    again = deckgen("push", str(notes), "--prune", "--yes")
    assert again.exit_code == 0, again.output
    assert "deleted" not in again.output and "removed from this deck's notes" not in again.output
    assert again.output.endswith("nothing to prune: the note this deck removed is not in the collection\n")


def test_prune_with_yes_lists_and_deletes_without_asking(tmp_path, home):
    notes, _ = _pushed_with_reviews(tmp_path, home)
    _use_state(notes, "v2")
    built = deckgen("build", str(notes))
    assert built.exit_code == 0, built.output  # removed by a build: push --prune still finds it
    result = deckgen("push", str(notes), "--prune", "-y")
    assert result.exit_code == 0, result.output
    assert "  학습률이 너무 크면 어떻게 되나요? (b.md, removed in 1.1.0; 1 review)\n" in result.output
    assert "[y/N]" not in result.output and "deleted 1 note this deck removed" in result.output
    col = home.open()
    try:
        assert len(col.find_notes("")) == 14
    finally:
        col.close()


def test_prune_while_anki_holds_the_collection_changes_nothing(tmp_path, home, nothing_at_ankiconnect):
    notes, _ = _pushed_with_reviews(tmp_path, home)
    _use_state(notes, "v2")
    col = home.open()
    try:
        result = deckgen("push", str(notes), "--prune", "--yes")
    finally:
        col.close()
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].endswith(
        "--prune deletes notes only with the collection closed: close Anki and run `deckgen push --prune` "
        "again; nothing was imported")


def test_profiles_are_found_as_anki_keeps_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ANKI_BASE", raising=False)
    monkeypatch.chdir(tmp_path)
    notes = _notes(tmp_path)
    base = tmp_path / "data" / "Anki2"

    none = deckgen("push", str(notes))
    assert none.exit_code == 1 and none.output == (
        f"error: no Anki profile found in {base} (where Anki keeps them on Linux); start Anki once, "
        "or name the collection with --collection PATH\n")
    assert not (tmp_path / "dist").exists()  # nothing is built for a push that cannot happen

    profiles = _make_base(base, ["User 1", "공부"])
    several = deckgen("push", str(notes))
    assert several.exit_code == 1 and several.output == (
        f'error: Anki has 2 profiles in {base}: "User 1", "공부"; choose one with --profile NAME\n')
    unknown = deckgen("push", str(notes), "--profile", "work")
    assert unknown.exit_code == 1 and unknown.output == (
        f'error: no Anki profile named "work" in {base}; its profiles: "User 1", "공부"\n')

    chosen = deckgen("push", str(notes), "--profile", "user 1", "--prune")  # as Anki, regardless of case
    assert chosen.exit_code == 0, chosen.output
    assert chosen.output.endswith("nothing to prune: this deck has removed no note\n")
    assert f'into profile "User 1" ({profiles["User 1"].path}): 10 new' in chosen.output
    col = profiles["공부"].open()
    try:
        assert col.find_notes("") == []
    finally:
        col.close()

    shutil.rmtree(base / "공부")  # a profile Anki lists but has not opened yet
    fresh = deckgen("push", str(notes), "--profile", "공부")
    assert fresh.exit_code == 1 and fresh.output == (
        f'{base / "공부" / "collection.anki2"}: error: the profile "공부" has no collection yet; '
        "open the profile in Anki once\n")
    assert not (base / "공부" / "collection.anki2").exists()

    elsewhere = tmp_path / "copy"
    shutil.copytree(profiles["User 1"].folder, elsewhere)
    direct = deckgen("push", str(notes), "--collection", str(elsewhere / "collection.anki2"))
    assert direct.exit_code == 0, direct.output
    assert f"into {elsewhere / 'collection.anki2'}: 0 new, 0 updated, 10 unchanged" in direct.output
    assert len(list((elsewhere / "backups").glob("*.colpkg"))) >= 1

    (tmp_path / "notes.txt").write_text("not a collection", encoding="utf-8")
    for path, message in ((tmp_path / "notes.txt", "this is not an Anki collection (not an SQLite database)"),
                          (tmp_path / "missing.anki2", "no Anki collection here (Anki keeps it as "
                                                       "<profile>/collection.anki2)")):
        wrong = deckgen("push", str(notes), "--collection", str(path))
        assert wrong.exit_code == 1 and wrong.output == f"{path}: error: {message}\n"
    assert not (tmp_path / "missing.anki2").exists()
    both = deckgen("push", str(notes), "--profile", "User 1", "--collection", str(elsewhere))
    assert both.exit_code == 1 and both.output == "error: give --profile or --collection, not both\n"


def test_anki_base_on_each_system(tmp_path):
    from deckgen.profiles import anki_base

    home = Path.home()
    assert anki_base({}, "linux") == (home / ".local" / "share" / "Anki2", "where Anki keeps them on Linux")
    assert anki_base({"XDG_DATA_HOME": "/x/data"}, "linux")[0] == Path("/x/data/Anki2")
    assert anki_base({}, "darwin")[0] == home / "Library" / "Application Support" / "Anki2"
    assert anki_base({"APPDATA": "C:/Users/u/AppData/Roaming"}, "win32")[0] == Path("C:/Users/u/AppData/Roaming/Anki2")
    assert anki_base({"ANKI_BASE": str(tmp_path), "XDG_DATA_HOME": "/x"}, "linux") == (tmp_path, "ANKI_BASE")


def test_without_the_anki_package_push_says_how_to_get_it(tmp_path):
    _notes(tmp_path)
    code = ("import sys\nsys.modules['anki'] = None\n"  # what Python does for a package not installed
            "from deckgen.cli import main\nsys.argv = ['deckgen', 'push', 'notes']\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "error: deckgen push needs Anki's backend, the anki package: pip install 'deckgen[push]'\n"
    assert not (tmp_path / "dist").exists()



def test_a_notetype_migration_is_not_pushed(tmp_path, home):
    from deckgen.notetype import NOTETYPE_ID

    notes = _notes(tmp_path)
    assert deckgen("push", str(notes)).exit_code == 0
    col = home.open()
    try:  # the collection's notetype with a field this deckgen's has not (as after another version's migration)
        notetype = col.models.get(NOTETYPE_ID)
        col.models.add_field(notetype, col.models.new_field("Hint"))
        col.models.update_dict(notetype)
        before = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    finally:
        col.close()
    backups = home.backups()
    _use_state(notes, "v2")
    result = deckgen("push", str(notes))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f'{home.path}: error: the notetype "deckgen Q&A" in the collection has other fields or card types than '
        'this package\'s "deckgen Q&A"; push imports with "Merge note types" off, and Anki would then leave every '
        'note of it as it is (conflicting): import the package once by hand with "Merge note types" on '
        "(File › Import), then push again; nothing was imported")
    assert home.backups() == backups
    col = home.open()
    try:
        assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == before
    finally:
        col.close()
