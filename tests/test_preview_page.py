"""The preview page in real headless Chromium: a deck of a few hundred cards, built once (so it has
a lock), then edited, previewed and looked at: subdecks and their table of contents, cards drawn
only near the screen, search, the changed-only filter, #card-N links landing below the sticky
header, night mode, the phone view on a desktop and in a 360-px window, and MathJax typesetting
the cards that have math."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from deckgen.build import build
from deckgen.model import BuildConfig
from deckgen.preview import write_preview
from tests.test_anki_render import _mathjax
from tests.test_render_chromium import chromium  # noqa: F401 (the module's one browser)
from tests.test_render_chromium import wait_until as _wait

TOPICS = ("선형대수", "확률과 통계", "최적화")
PER_FILE = 70
EDITED, ADDED = "[2-17]", "[3-71]"


def _question(topic: int, k: int) -> str:
    return f"[{topic}-{k}] {TOPICS[topic - 1]} 질문 {k}번은 무엇인가요?"


def _note_file(topic: int, extra: str = "") -> str:
    lines = ["---", f'title: "{TOPICS[topic - 1]}"', f"tags: [topic{topic}, 면접]", "---", ""]
    for k in range(1, PER_FILE + 1):
        lines.append(f"- **{_question(topic, k)}**")
        if k % 10 == 3:
            lines.append(f"  - 식으로는 $x_{{{k}}} = \\frac{{a}}{{b}}$ 이다.")
        lines.append(f"  - 답 {topic}-{k}: 단어{topic}x{k} 를 설명한다. " + "설명이 이어진다. " * (k % 7))
    return "\n".join(lines) + "\n" + extra


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A three-file deck built once, then one answer edited and one question added, previewed."""
    work = tmp_path_factory.mktemp("preview-page")
    notes = work / "notes"
    notes.mkdir()
    for topic in (1, 2, 3):
        (notes / f"{topic:02d}.md").write_text(_note_file(topic), encoding="utf-8")
    (notes / "deckgen.toml").write_text('title = "면접 덱"\nslug = "interview"\n', encoding="utf-8")
    built = build(BuildConfig(sources=(notes,), outdir=work / "dist"))
    assert built.notes == 3 * PER_FILE
    two = notes / "02.md"
    two.write_text(two.read_text(encoding="utf-8").replace("답 2-17:", "고친 답 2-17:"), encoding="utf-8")
    three = notes / "03.md"
    three.write_text(three.read_text(encoding="utf-8") + f"- **{_question(3, 71)}**\n  - 새 답 단어새것\n",
                     encoding="utf-8")
    out = work / "preview"
    report = write_preview(BuildConfig(sources=(notes,), outdir=out), out, mathjax=_mathjax())
    assert report.cards == 3 * PER_FILE + 1 and report.changed == 2
    return report


def _open(driver, url: str, width: int, height: int, fresh: bool = True) -> None:
    """Load the page in a width x height window; `fresh`: without what the last visit left set."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
    driver.get("about:blank")
    driver.get(url)
    _wait(driver, "document.body.dataset.ready === '1'")
    if fresh and driver.execute_script("const n = sessionStorage.length; sessionStorage.clear(); return n"):
        driver.refresh()
        _wait(driver, "document.body.dataset.ready === '1'")


def _shown(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('article.pv-card')].filter(a => !a.hidden).map(a => a.id)")


def _type(driver, text: str) -> None:
    box = driver.find_element("id", "pv-search")
    box.clear()
    box.send_keys(text)
    box.send_keys("\n")  # Enter filters at once (typing waits for a pause)


def test_subdecks_toc_lazy_cards_and_search(page, chromium):  # noqa: F811
    driver = chromium()
    _open(driver, page.index.as_uri(), 1280, 800)
    total = 3 * PER_FILE + 1
    toc = driver.execute_script(
        "return [...document.querySelectorAll('.pv-toc li')].map(li => [li.innerText, li.querySelector('a').hash])")
    assert [name.split("\n") for name, _ in toc] == [[t, str(PER_FILE + (t == TOPICS[2]))] for t in TOPICS]
    headings = driver.execute_script(
        "return [...document.querySelectorAll('.pv-deck')].map(s => [s.id, s.querySelector('h2').innerText])")
    assert [f"#{sid}" for sid, _ in headings] == [h for _, h in toc]
    assert all(text.startswith(t) for (_, text), t in zip(headings, TOPICS, strict=True))
    assert driver.execute_script("return document.querySelectorAll('article.pv-card').length") == total

    # Only the cards near the screen are in the page; the rest are empty boxes until scrolled to.
    _wait(driver, "document.querySelectorAll('article.pv-done').length >= 2")
    time.sleep(0.3)  # what the first frames draw
    drawn = driver.execute_script("return document.querySelectorAll('article.pv-done').length")
    assert 2 <= drawn <= 30, drawn
    assert driver.execute_script("return document.querySelectorAll('.pv-view > .card').length") == 2 * drawn
    last = f"card-{total}"
    assert not driver.execute_script(f"return document.getElementById('{last}').classList.contains('pv-done')")
    driver.execute_script("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    _wait(driver, f"document.getElementById('{last}').classList.contains('pv-done')")
    assert driver.execute_script("return document.querySelectorAll('article.pv-done').length") < total // 2

    # Each card shows its deck, tags and source line, and its front and back as Anki renders them
    # (on screen: a drawn card off it is skipped by the browser, and shows no text).
    driver.execute_script(f"document.getElementById('{last}').scrollIntoView()")
    _wait(driver, f"document.querySelector('#{last} .pv-meta').innerText.length > 0")
    meta = driver.execute_script(f"return document.querySelector('#{last} .pv-meta').innerText")
    assert "면접 덱::최적화" in meta and "topic3" in meta and "면접" in meta and "03.md:" in meta
    back = driver.execute_script(f"return document.querySelectorAll('#{last} .pv-view > .card')[1].innerHTML")
    assert '<hr id="answer">' in back and "단어새것" in back

    # Search: an answer's word, a question's words in another order, a tag; Korean and Latin.
    driver.execute_script("window.scrollTo(0, 0)")
    _type(driver, "단어2x45")
    assert _shown(driver) == [f"card-{PER_FILE + 45}"]
    assert driver.find_element("id", "pv-count").text == f"1 of {total} cards"
    assert driver.execute_script("return [...document.querySelectorAll('.pv-deck')].map(s => s.hidden)") == [
        True, False, True]
    assert driver.execute_script("return [...document.querySelectorAll('.pv-toc li')].map(li => li.hidden)") == [
        True, False, True]
    _wait(driver, f"document.getElementById('card-{PER_FILE + 45}').classList.contains('pv-done')")
    _type(driver, "질문 [1-7]")
    assert _shown(driver) == ["card-7"]
    _type(driver, "TOPIC3")
    assert len(_shown(driver)) == PER_FILE + 1
    _type(driver, "없는단어")
    assert _shown(driver) == [] and driver.find_element("id", "pv-empty").is_displayed()
    _type(driver, "")
    assert len(_shown(driver)) == total


def test_changed_only_filter_shows_the_new_and_edited_notes(page, chromium):  # noqa: F811
    driver = chromium()
    _open(driver, page.index.as_uri(), 1280, 800)
    label = driver.find_element("id", "pv-changed").find_element("xpath", "..").text
    assert label == "changed since the last build (1 new, 1 edited)"
    driver.find_element("id", "pv-changed").click()
    shown = _shown(driver)
    assert len(shown) == 2
    seen = []
    for card_id in shown:
        _wait(driver, f"document.getElementById('{card_id}').classList.contains('pv-done')")
        driver.execute_script(f"document.getElementById('{card_id}').scrollIntoView()")  # see above
        _wait(driver, f"document.getElementById('{card_id}').innerText.length > 0")
        seen.append(driver.execute_script(f"return document.getElementById('{card_id}').innerText"))
    edited, added = sorted(seen, key=lambda text: "new" in text)
    assert "edited" in edited and EDITED in edited and "고친 답 2-17" in edited
    assert "new" in added and ADDED in added
    _type(driver, "고친")  # the filters combine
    assert len(_shown(driver)) == 1
    _type(driver, "")
    driver.find_element("id", "pv-changed").click()
    assert len(_shown(driver)) == 3 * PER_FILE + 1

    # The same deck written with --changed holds only those two cards.
    out = page.index.parent.parent / "changed-only"
    notes = page.index.parent.parent / "notes"
    report = write_preview(BuildConfig(sources=(notes,), outdir=out), out, changed_only=True)
    assert report.cards == 2
    _open(driver, report.index.as_uri(), 1280, 800)
    assert len(_shown(driver)) == 2
    assert driver.find_element("id", "pv-count").text == "2 cards"
    assert driver.find_element("id", "pv-only").text == "(only the new and edited, of 211)"


@pytest.mark.parametrize("width,height", [(1280, 800), (360, 740)])
def test_a_card_link_lands_below_the_sticky_header(page, chromium, width, height):  # noqa: F811
    driver = chromium()
    n = 2 * PER_FILE - 5
    _open(driver, f"{page.index.as_uri()}#card-{n}", width, height)
    _wait(driver, f"document.getElementById('card-{n}').classList.contains('pv-done')")
    time.sleep(0.6)  # cards drawn above it meanwhile must not push it away (scroll anchoring)
    header, top = driver.execute_script(
        f"return [document.querySelector('.pv-head').getBoundingClientRect().bottom,"
        f" document.getElementById('card-{n}').getBoundingClientRect().top]")
    assert header <= top <= header + 40, (header, top)
    # A link clicked in the page lands the same way.
    m = n - 60
    driver.execute_script(f"location.hash = 'card-{m}'")
    _wait(driver, f"document.getElementById('card-{m}').classList.contains('pv-done')")
    time.sleep(0.6)
    header, top = driver.execute_script(
        f"return [document.querySelector('.pv-head').getBoundingClientRect().bottom,"
        f" document.getElementById('card-{m}').getBoundingClientRect().top]")
    assert header <= top <= header + 40, (header, top)


def test_night_mode_phone_view_and_mathjax(page, chromium, tmp_path):  # noqa: F811
    driver = chromium()
    shots = Path(os.environ.get("DECKGEN_PNG_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    state = """return [...document.querySelectorAll('article.pv-done')].map(a => {
        const views = [...a.querySelectorAll('.pv-view')];
        return {id: a.id, card: views.map(v => v.firstElementChild.className), width: views.map(v => v.clientWidth),
                math: a.querySelectorAll('mjx-container').length, tex: /\\\\\\(/.test(a.innerText)};
      })"""
    _open(driver, page.index.as_uri(), 1280, 800)
    _wait(driver, "document.querySelectorAll('mjx-container').length > 0")  # card 3 has math
    _wait(driver, "document.fonts.status === 'loaded'")
    seen = driver.execute_script(state)
    assert all(c == "card" for s in seen for c in s["card"])
    assert all(w > 400 for s in seen for w in s["width"])
    math = [s for s in seen if s["math"]]
    assert math and all(not s["tex"] for s in math), seen  # typeset, no TeX left over
    assert driver.execute_script("return document.documentElement.className") == ""
    driver.save_screenshot(str(shots / "preview-desktop-light.png"))

    driver.find_element("id", "pv-night").click()
    driver.find_element("id", "pv-phone").click()
    seen = driver.execute_script(state)
    assert all(c == "card nightMode night_mode" for s in seen for c in s["card"])
    assert all(w == 360 for s in seen for w in s["width"])
    assert driver.execute_script("return document.documentElement.className") == "mobile android"
    # The card's own phone rules apply to a 360-px card in a wide window, as on a phone.
    assert driver.execute_script(
        "return getComputedStyle(document.querySelector('.pv-view > .card')).fontSize") == "17px"

    # A 360-px window: the phone view fits whole, the page never scrolls sideways; the toggles are
    # remembered (as across the reloads of `deckgen watch`).
    _open(driver, page.index.as_uri(), 360, 740, fresh=False)
    assert driver.find_element("id", "pv-night").is_selected() and driver.find_element("id", "pv-phone").is_selected()
    _wait(driver, "document.fonts.status === 'loaded'")
    widths = driver.execute_script("return [document.scrollingElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1] == 360, widths
    seen = driver.execute_script(state)
    assert seen and all(w == 360 for s in seen for w in s["width"]), seen
    box = driver.execute_script("const r = document.querySelector('.pv-view').getBoundingClientRect();"
                                " return [r.left, r.right]")
    assert box[0] >= 0 and box[1] <= 360, box
    driver.save_screenshot(str(shots / "preview-phone-dark.png"))


def test_the_toc_opens_as_a_panel_on_a_narrow_window(page, chromium):  # noqa: F811
    driver = chromium()
    _open(driver, page.index.as_uri(), 360, 740)
    toc = driver.find_element("id", "pv-toc")
    assert not toc.is_displayed()
    driver.find_element("id", "pv-toc-button").click()
    assert toc.is_displayed()
    toc.find_elements("tag name", "a")[2].click()
    assert not toc.is_displayed()
    _wait(driver, "location.hash === '#deck-3'")
    header, top = driver.execute_script("return [document.querySelector('.pv-head').getBoundingClientRect().bottom,"
                                        " document.getElementById('deck-3').getBoundingClientRect().top]")
    assert header <= top <= header + 40, (header, top)


def test_the_cards_data_cannot_end_its_script(tmp_path):
    """What a card holds is data to the page: `</script>` or `<!--` in a note stays text."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "x.md").write_text("- **스크립트 `</script><b>` 질문?**\n  - 답 `<!--` 와 \u2028 줄\n", encoding="utf-8")
    out = tmp_path / "preview"
    write_preview(BuildConfig(sources=(notes,), outdir=out), out)
    (script,) = out.glob("cards-*.js")
    text = script.read_text(encoding="utf-8")
    assert text.startswith("window.deckgenCards=") and "\u2028" not in text
    data = json.loads(text.removeprefix("window.deckgenCards=").rstrip().rstrip(";"))
    (card,) = data["cards"]
    assert "&lt;/script&gt;" in card[0] and "&lt;!--" in card[1]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'<script src="{script.name}"></script>' in page
    assert re.findall(r"<article [^>]*>", page) == ['<article class="pv-card" id="card-1" data-i="0" data-status="new">']
    shutil.rmtree(out)


def test_a_cards_key_is_what_its_sides_show_but_its_source_line(tmp_path):
    """Cards that differ only in their line number have one key, and each its own back; the
    update of a build holds the sides of only the cards the build before did not have."""
    from deckgen.preview import gather
    from deckgen.preview_page import CardsData

    notes = tmp_path / "notes"
    notes.mkdir()
    one = "- **역전파는 무엇인가요?**\n  - 연쇄 법칙 $x^2$.\n\n- **드롭아웃은?**\n  - 과적합을 줄인다.\n"
    (notes / "a.md").write_text(one, encoding="utf-8")
    config = BuildConfig(sources=(notes,), outdir=tmp_path / "out")
    before = gather(config).cards
    (notes / "a.md").write_text("- **새 질문은?**\n  - 새 답.\n\n" + one, encoding="utf-8")
    after = gather(config).cards
    (notes / "a.md").write_text("- **새 질문은?**\n  - 새 답.\n\n" + one.replace("과적합을", "과적합만"),
                                encoding="utf-8")
    later = gather(config).cards
    assert [c.source for c in before] == ["a.md:1", "a.md:4"]
    assert [c.source for c in after] == [c.source for c in later] == ["a.md:1", "a.md:4", "a.md:7"]
    assert [c.key for c in after[1:]] == [c.key for c in before]
    assert after[1].back != before[0].back and '<div class="dg-source">a.md:4</div>' in after[1].back
    assert [c.key == d.key for c, d in zip(after, later, strict=True)] == [True, True, False]

    data = CardsData()
    script, name, update, update_name = data.write(list(before), update=True)
    assert update_name.startswith("update-") and name.startswith("cards-") and name.endswith(".js")
    assert [row[0] is None for row in json.loads(update)["cards"]] == [False, False]  # nothing known yet
    # Moved down by the question above: the same key, but another source line in the back.
    script, name, update, _ = data.write(list(after), update=True)
    assert [row[0] is None for row in json.loads(update)["cards"]] == [False, False, False]
    whole = json.loads(script.removeprefix("window.deckgenCards=").rstrip().rstrip(";"))["cards"]
    assert [row[:2] for row in whole] == [[c.front, c.back] for c in after]
    # One answer edited: only its sides are in the update.
    script, name, update, _ = data.write(list(later), update=True)
    rows = json.loads(update)["cards"]
    assert [row[0] is None for row in rows] == [True, True, False]
    assert [row[2:] for row in rows] == [[0, 0, c.source, c.number, c.status, c.key] for c in later]
    assert rows[2][:2] == [later[2].front, later[2].back]
    assert CardsData().write(list(later))[:2] == (script, name)  # the same data, whatever came before
