"""`deckgen watch` end to end: the real command in its own process, serving on a free port of
127.0.0.1; real files edited as an editor saves them, the served preview fetched over HTTP and
its event stream read; a page open in headless Chromium brings itself up to date after a save,
drawing again only the cards that changed, shows a broken file's error, and the watcher goes on
to the next save."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from deckgen.build import build as build_package
from deckgen.model import BuildConfig
from tests.test_anki_render import _mathjax
from tests.test_render_chromium import chromium  # noqa: F401 (the module's one browser)

TIMEOUT = 30.0
GOOD = "- **역전파는 무엇인가요?**\n  - 연쇄 법칙으로 기울기를 구한다.\n\n- **드롭아웃을 쓰는 이유는?**\n  - 과적합을 줄인다.\n"
BROKEN = "---\ntitle: [깨진\ntags: x\n---\n\n- **질문?**\n  - 답\n"


class Watcher:
    """`deckgen watch` running in its own process; its output is collected as it comes."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "deckgen", "watch", *args], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     text=True, encoding="utf-8")
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        found = self.wait_for(lambda: next((m for line in self.lines if (m := re.search(
            r"serving the preview at (http://127\.0\.0\.1:\d+/)", line))), None))
        self.url = found.group(1)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, check, timeout: float = TIMEOUT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = check()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"the watcher ended ({self.proc.returncode}):\n" + "\n".join(self.lines))
            time.sleep(0.05)
        raise AssertionError("timed out; the watcher said:\n" + "\n".join(self.lines))

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as answer:
            return answer.read().decode("utf-8")

    def state(self) -> dict:
        return json.loads(self.get("/_deckgen/state"))

    def cards(self) -> str:
        """The served page's cards: the data script the served index.html names."""
        page = self.get("/")
        (script,) = re.findall(r'<script src="(cards-[0-9a-f]+\.js)"></script>', page)
        return self.get(script)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        return self.proc.returncode


def _save(path: Path, text: str) -> None:
    """Save as editors do: a temporary file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@pytest.fixture
def notes(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "dl.md").write_text(GOOD, encoding="utf-8")
    (folder / "ml.md").write_text("- **편향과 분산의 관계는?**\n  - 둘 사이에 트레이드오프가 있다.\n", encoding="utf-8")
    return folder


def test_watch_serves_the_preview_and_follows_every_save(notes, tmp_path, chromium):  # noqa: F811
    watcher = Watcher(tmp_path, "notes", "-o", "out", "--port", "0")
    try:
        assert watcher.url.startswith("http://127.0.0.1:")
        first = watcher.state()
        assert first["ok"] and "연쇄 법칙으로" in watcher.cards()
        assert "the preview only; `deckgen build` writes the package" in "\n".join(watcher.lines)
        assert not list(tmp_path.rglob("*.apkg")) and not (notes / "deckgen.lock").exists()

        # The event stream says so when a save is built.
        events = urllib.request.urlopen(watcher.url + "_deckgen/events", timeout=TIMEOUT)
        assert json.loads(events.readline().decode().removeprefix("data: "))["build"] == first["build"]
        events.readline()
        _save(notes / "dl.md", GOOD.replace("연쇄 법칙으로", "체인 룰로"))
        line = events.readline().decode()
        while not line.startswith("data: "):  # a keep-alive comment may come first
            line = events.readline().decode()
        pushed = json.loads(line.removeprefix("data: "))
        events.close()
        assert pushed["ok"] and pushed["build"] != first["build"]
        assert watcher.state() == pushed
        cards = watcher.cards()
        assert "체인 룰로" in cards and "연쇄 법칙으로" not in cards

        # A page open in a browser brings itself up to date after a save, keeping its switches.
        driver = chromium()
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        driver.get(watcher.url)
        _wait_page(driver, "document.body.dataset.ready === '1' && document.getElementById('pv-live')"
                           ".textContent.includes('live')")
        driver.find_element("id", "pv-night").click()
        build = driver.execute_script("window.notReloaded = true; return document.body.dataset.build")
        _save(notes / "ml.md", "- **편향과 분산의 관계는?**\n  - 새로 쓴 답: 트레이드오프.\n")
        _wait_page(driver, f"document.body.dataset.build !== '{build}' && document.body.dataset.ready === '1'")
        # textContent: under load, Chromium has left the text of a box drawn below the fold
        # (content-visibility: auto) out of innerText.
        _wait_page(driver, "document.querySelectorAll('article.pv-done').length === 3 &&"
                           " document.querySelector('main').textContent.includes('새로 쓴 답: 트레이드오프.')")
        text = driver.execute_script("return document.querySelector('main').textContent")
        assert "새로 쓴 답: 트레이드오프." in text and "둘 사이에" not in text
        assert driver.find_element("id", "pv-night").is_selected()
        assert driver.execute_script("return window.notReloaded === true")  # brought up to date in place
        assert driver.execute_script("return document.querySelector('article.pv-done .card').className") == (
            "card nightMode night_mode")

        # A broken file: the error in the terminal and on the page, which keeps the last cards.
        build = driver.execute_script("return document.body.dataset.build")
        _save(notes / "broken.md", BROKEN)
        _wait_page(driver, "!document.getElementById('pv-errors').hidden")
        shown = driver.find_element("id", "pv-errors").text
        assert "broken.md:3: error: front matter" in shown, shown
        assert driver.execute_script("return document.body.dataset.build") == build
        assert "새로 쓴 답" in driver.execute_script("return document.querySelector('main').innerText")
        state = watcher.state()
        assert not state["ok"] and any("broken.md:3: error: front matter" in p for p in state["problems"])
        watcher.wait_for(lambda: any("broken.md:3: error: front matter" in line for line in watcher.lines))
        assert watcher.proc.poll() is None

        # The watcher lives on: the fixed file is built, and the page shows it without the error.
        _save(notes / "broken.md", BROKEN.replace("[깨진", "고친 제목"))
        _wait_page(driver, f"document.body.dataset.build !== '{build}' && document.body.dataset.ready === '1'")
        assert driver.find_element("id", "pv-errors").get_attribute("hidden") is not None
        assert "고친 제목" in watcher.cards()
        assert watcher.state()["ok"]
    finally:
        code = watcher.stop()
    assert code == 0, watcher.lines
    assert watcher.lines[-1] == "stopped"
    assert not list(tmp_path.rglob("*.apkg"))


def test_watch_starts_on_broken_notes_and_shows_why(notes, tmp_path):
    (notes / "broken.md").write_text(BROKEN, encoding="utf-8")
    watcher = Watcher(tmp_path, "notes", "-o", "out", "--port", "0")
    try:
        state = watcher.state()
        assert not state["ok"] and any("broken.md:3: error" in p for p in state["problems"])
        page = watcher.get("/")
        assert 'data-live="1"' in page and "0 cards" in page
        (notes / "broken.md").unlink()
        watcher.wait_for(lambda: watcher.state()["ok"])
        assert "연쇄 법칙으로" in watcher.cards()
    finally:
        assert watcher.stop() == 0


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads Linux's table of sockets")
def test_watch_listens_on_the_loopback_address_only(notes, tmp_path):
    watcher = Watcher(tmp_path, "notes", "-o", "out", "--port", "0")
    try:
        port = int(watcher.url.rsplit(":", 1)[1].strip("/"))
        listening = []  # (address, port) of every listening IPv4 and IPv6 socket on the port
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            if Path(table).is_file():
                for row in Path(table).read_text().splitlines()[1:]:
                    local, state = row.split()[1], row.split()[3]
                    address, hex_port = local.split(":")
                    if state == "0A" and int(hex_port, 16) == port:
                        listening.append(address)
        assert listening == ["0100007F"]  # 127.0.0.1, and nothing on any other address
    finally:
        watcher.stop()


def test_a_port_in_use_is_an_error_not_a_traceback(notes, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "deckgen", "watch", "notes", "--port", str(port)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 1
    assert f"error: cannot serve the preview on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def _wait_page(driver, condition: str, timeout: float = TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = driver.execute_script(f"return {condition}")
            if value:
                return value
        except Exception:  # noqa: BLE001 (the page is between two loads)
            pass
        time.sleep(0.05)
    raise AssertionError(f"the page never got to: {condition}")


def _questions(numbers, word: str = "사과", changed: int = 0) -> str:
    """Questions with a formula in each answer; question `changed` with other words and formula."""
    return "".join(
        f"- **{k}번 질문은 무엇인가요?**\n"
        + (f"  - 포도{k}: 식 $z_{{{k}}}^3$ 를 쓴다.\n" if k == changed else f"  - {word}{k}: 식 $x_{{{k}}}^2$ 를 쓴다.\n")
        for k in numbers)


def _typeset(card: str) -> str:
    """The condition: the card box `card` is drawn, and every formula in it typeset."""
    return (f"(b => b && b.classList.contains('pv-done') && b.querySelector('mjx-container') && "
            f"!/\\\\[(\\[]/.test(b.textContent))(document.getElementById('{card}'))")


def _open_live(driver, url: str) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.get("about:blank")
    driver.get(url)
    _wait_page(driver, "document.body.dataset.ready === '1' && document.getElementById('pv-live')"
                       ".textContent.includes('live')")
    driver.execute_script("sessionStorage.clear()")


def _next_build(driver, build: str) -> str:
    return _wait_page(driver, f"document.body.dataset.build !== '{build}' && document.body.dataset.ready === '1' "
                              "&& document.body.dataset.build")


def _ids(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('article.pv-card')].map(a => a.id)")


def test_a_save_draws_again_only_the_cards_it_changed(tmp_path, chromium):  # noqa: F811
    notes = tmp_path / "notes"
    notes.mkdir()
    dl, ml = notes / "dl.md", notes / "ml.md"
    dl.write_text(_questions(range(1, 9)), encoding="utf-8")
    ml.write_text("- **편향과 분산의 관계는?**\n  - 트레이드오프.\n", encoding="utf-8")
    watcher = Watcher(tmp_path, "notes", "-o", "out", "--port", "0", "--mathjax", str(_mathjax()))
    shots = Path(os.environ.get("DECKGEN_PNG_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        driver = chromium()
        _open_live(driver, watcher.url)
        _wait_page(driver, _typeset("card-2"))
        build = driver.execute_script(
            "const $ = id => document.getElementById(id);"
            "window.notReloaded = true;"
            "window.kept = {two: $('card-2'), math: $('card-2').querySelector('mjx-container'), ml: $('card-9')};"
            "return document.body.dataset.build")
        drawn = int(driver.execute_script("return document.body.dataset.drawn"))

        # One answer edited: that card is drawn and typeset anew; every other box stays as it was.
        _save(dl, _questions(range(1, 9), changed=5))
        build = _next_build(driver, build)
        _wait_page(driver, _typeset("card-5"))
        five = driver.execute_script("return document.getElementById('card-5').textContent")
        assert "포도5" in five and "사과5" not in five
        assert driver.execute_script(
            "return document.getElementById('card-2') === kept.two && kept.math.isConnected &&"
            " document.getElementById('card-2').querySelector('mjx-container') === kept.math &&"
            " document.getElementById('card-9') === kept.ml && window.notReloaded === true")
        assert driver.execute_script("return document.body.dataset.added") == "1"
        assert int(driver.execute_script("return document.body.dataset.drawn")) == drawn + 1
        driver.save_screenshot(str(shots / "watch-after-an-edit.png"))

        # A question added at the top and the last one removed, with the page scrolled to card 6:
        # that box stays where it is on screen, numbered 7 now, with its new source line.
        driver.execute_script("location.hash = 'card-6'")
        _wait_page(driver, _typeset("card-6"))
        time.sleep(0.5)  # the boxes drawn around it settle
        top = driver.execute_script(
            "window.kept.six = document.getElementById('card-6');"
            "window.kept.sixMath = kept.six.querySelector('mjx-container');"
            "return kept.six.getBoundingClientRect().top")
        _save(dl, "- **새로 넣은 질문은?**\n  - 새 답: 식 $\\alpha + \\beta$ 이다.\n"
              + _questions(range(1, 8), changed=5))
        build = _next_build(driver, build)
        assert _ids(driver) == [f"card-{n}" for n in range(1, 10)]
        moved = driver.execute_script(
            "const box = document.getElementById('card-7'), card = window.deckgenCards.cards[6];"
            "return {same: box === kept.six && box.querySelector('mjx-container') === kept.sixMath,"
            " top: box.getBoundingClientRect().top, number: box.querySelector('.pv-num').textContent,"
            " link: box.querySelector('.pv-num').getAttribute('href'),"
            " source: card[4], shown: box.querySelector('.pv-src').textContent,"
            " back: box.querySelector('.dg-back > .dg-source').textContent}")
        assert moved["same"], moved
        assert abs(moved["top"] - top) <= 2, (moved, top)
        assert moved["number"] == "#7" and moved["link"] == "#card-7" and moved["source"].endswith("dl.md:13"), moved
        assert moved["shown"] == moved["back"] == moved["source"], moved
        assert driver.execute_script("return document.getElementById('card-3') === kept.two")
        text = driver.execute_script("return document.querySelector('main').textContent")
        assert "사과8" not in text
        assert driver.find_element("id", "pv-count").text == "9 cards"
        toc = driver.execute_script("return [...document.querySelectorAll('.pv-toc li')].map(li => li.innerText)")
        assert [t.split("\n") for t in toc] == [["dl", "8"], ["ml", "1"]], toc
        driver.execute_script("location.hash = 'card-1'")
        _wait_page(driver, _typeset("card-1"))
        assert "새 답" in driver.execute_script("return document.getElementById('card-1').innerText")
        driver.save_screenshot(str(shots / "watch-after-an-added-question.png"))

        # A broken save: its error above the cards, which stay as they were.
        _save(notes / "broken.md", BROKEN)
        _wait_page(driver, "!document.getElementById('pv-errors').hidden")
        assert "broken.md:3: error: front matter" in driver.find_element("id", "pv-errors").text
        assert driver.execute_script(
            f"return document.body.dataset.build === '{build}' && document.getElementById('card-7') === kept.six"
            " && kept.sixMath.isConnected && document.querySelectorAll('article.pv-card').length === 9")
        driver.save_screenshot(str(shots / "watch-after-a-broken-save.png"))
        (notes / "broken.md").unlink()
        build = _next_build(driver, build)
        assert driver.find_element("id", "pv-errors").get_attribute("hidden") is not None

        # Without its update file the page takes the whole cards' data, still in place; a page it
        # cannot match with its cards' data is loaded again whole, showing the new build.
        driver.execute_script(
            "const fetch = window.fetch;"
            "window.fetch = (url, options) => /update-/.test(url) ? Promise.reject(new Error('gone')) : fetch(url, options);")
        _save(ml, "- **편향과 분산의 관계는?**\n  - 트레이드오프가 있다.\n")
        build = _next_build(driver, build)
        driver.execute_script("location.hash = 'card-9'")
        _wait_page(driver, "document.getElementById('card-9').textContent.includes('트레이드오프가 있다')")
        assert driver.execute_script("return window.notReloaded === true && document.getElementById('card-7') === kept.six")
        driver.execute_script(
            "const parse = DOMParser.prototype.parseFromString;"
            "DOMParser.prototype.parseFromString = function (text, kind) {"
            "  const page = parse.call(this, text, kind); page.querySelector('article').remove(); return page; };")
        _save(ml, "- **편향과 분산의 관계는?**\n  - 다시 고친 답.\n")
        _wait_page(driver, "window.notReloaded === undefined && document.body.dataset.ready === '1'")
        _wait_page(driver, "document.getElementById('card-9').textContent.includes('다시 고친 답')")
        assert len(_ids(driver)) == 9
    finally:
        assert watcher.stop() == 0


def test_a_live_page_keeps_its_filters_counts_and_search_right(tmp_path, chromium):  # noqa: F811
    notes = tmp_path / "notes"
    notes.mkdir()
    dl, ml = notes / "dl.md", notes / "ml.md"
    dl.write_text("---\ntags: [딥러닝]\n---\n" + _questions(range(1, 5)), encoding="utf-8")
    ml.write_text("---\ntags: [통계]\n---\n" + _questions(range(5, 7), word="배"), encoding="utf-8")
    build_package(BuildConfig(sources=(notes,), outdir=tmp_path / "dist"))  # a lock: the last build to compare with
    watcher = Watcher(tmp_path, "notes", "-o", "out", "--port", "0", "--mathjax", str(_mathjax()))
    try:
        driver = chromium()
        _open_live(driver, watcher.url)
        changed = driver.find_element("id", "pv-changed")
        assert not changed.is_enabled()
        assert driver.find_element("id", "pv-changed-label").text == "changed since the last build (none)"
        _wait_page(driver, "document.querySelectorAll('article.pv-done').length === 6")
        build = driver.execute_script(
            "window.kept = [...document.querySelectorAll('article.pv-card')]; return document.body.dataset.build")

        _save(dl, "---\ntags: [딥러닝]\n---\n" + _questions(range(1, 5), changed=2))
        build = _next_build(driver, build)
        assert driver.find_element("id", "pv-changed-label").text == "changed since the last build (0 new, 1 edited)"
        changed.click()
        shown = driver.execute_script(
            "return [...document.querySelectorAll('article.pv-card')].filter(a => !a.hidden).map(a => a.id)")
        assert shown == ["card-2"]
        assert driver.find_element("id", "pv-count").text == "1 of 6 cards"

        # New tags for a file: its cards show the same, so their boxes stay, with the new tag and
        # the "edited" badge in the line above them; the filter, the search and the counts follow.
        _save(ml, "---\ntags: [통계, 새태그]\n---\n" + _questions(range(5, 7), word="배"))
        build = _next_build(driver, build)
        assert driver.find_element("id", "pv-changed-label").text == "changed since the last build (0 new, 3 edited)"
        seen = driver.execute_script(
            "return [...document.querySelectorAll('article.pv-card')].map((a, i) =>"
            " [a.id, !a.hidden, a === kept[i], a.getAttribute('data-status'), a.querySelector('.pv-meta').textContent])")
        assert [s[:4] for s in seen] == [
            ["card-1", False, True, None], ["card-2", True, False, "edited"], ["card-3", False, True, None],
            ["card-4", False, True, None], ["card-5", True, True, "edited"], ["card-6", True, True, "edited"]]
        assert all("새태그" in s[4] and "edited" in s[4] for s in seen[4:]), seen
        assert driver.find_element("id", "pv-count").text == "3 of 6 cards"
        box = driver.find_element("id", "pv-search")
        box.send_keys("새태그\n")
        assert driver.find_element("id", "pv-count").text == "2 of 6 cards"
        changed.click()
        assert driver.find_element("id", "pv-count").text == "2 of 6 cards"
        box.clear()
        box.send_keys("\n")
        assert driver.find_element("id", "pv-count").text == "6 cards"
        toc = driver.execute_script("return [...document.querySelectorAll('.pv-toc li')].map(li => li.innerText)")
        assert [t.split("\n") for t in toc] == [["dl", "4"], ["ml", "2"]], toc
    finally:
        assert watcher.stop() == 0

