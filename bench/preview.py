"""Benchmark the preview at 10,000 cards and `deckgen watch`'s save-to-page time, in headless Chromium.

    python bench/preview.py            # prints the results as a RESULTS.md section
    python bench/preview.py --write    # and puts that section into bench/RESULTS.md

Preview (bench/corpus.py's 10k deck): `deckgen preview` as a whole process with a warm parse
cache; then the page opened from disk in Chromium (1280 x 800): time from navigation to the page's
script being ready (every box, the table of contents and the filters set up) and to the first card
drawn; the first search (which makes the search text of every card) and a second one; and a jump
to #card-9000, to the frame after it.

Watch: `deckgen watch` on 1,000 questions, in two layouts: bench/corpus.py's (500 questions a
file) and the same questions 50 a file. One question is edited (its text and a formula in it) and
saved, `REPS` times; measured from the save to the build's event on the event stream (read by this
script), and to a page open in Chromium at that card (#card-N) showing the edited card with its
math typeset (seen by a MutationObserver in the page, timed by the page's own clock, which is the
machine's); and the page's own part of that: from its starting to update (its `pv-update` mark,
set as the build's event arrives) to the card shown. Medians; the machine is shared, see its load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from run import machine  # noqa: E402

OUT = HERE / "out" / "preview"
RESULTS = HERE / "RESULTS.md"
HEADING = "## Preview and watch (bench/preview.py)"
REPS = 5


def chromium(profile: Path):
    """Headless Debian Chromium through its own ChromeDriver, as the tests drive it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


def wait(driver, condition: str, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = driver.execute_script(f"return {condition}")
        except Exception:  # noqa: BLE001 (between two loads of the page)
            value = None
        if value:
            return value
        time.sleep(0.01)
    raise SystemExit(f"the page never got to: {condition}")


def deckgen(*args: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deckgen", *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


# --- the 10k page --------------------------------------------------------------------------


def bench_page(driver, env_cache: Path) -> dict:
    deck = corpus.generate("10k")
    out = OUT / "page"
    shutil.rmtree(out, ignore_errors=True)
    deckgen("preview", str(deck.shape("deckgen")), "-o", str(out), cwd=OUT)  # warms the parse cache
    walls = [deckgen("preview", str(deck.shape("deckgen")), "-o", str(out), cwd=OUT) for _ in range(3)]
    size = sum(p.stat().st_size for p in out.iterdir() if p.suffix in (".html", ".js"))
    runs = []
    for _ in range(REPS):
        driver.get("about:blank")
        driver.get(out.joinpath("index.html").as_uri())
        wait(driver, "document.body.dataset.ready === '1' && performance.getEntriesByName('pv-first-card').length")
        marks = driver.execute_script(
            "const m = n => performance.getEntriesByName(n)[0].startTime;"
            "return {ready: m('pv-ready'), first: m('pv-first-card'), cards: document.querySelectorAll('.pv-card').length}")
        marks["search1"] = driver.execute_script(_SEARCH, "배치 정규화")
        marks["search2"] = driver.execute_script(_SEARCH, "역전파 수렴")
        marks["shown"] = driver.execute_script("return +document.body.dataset.shown")
        driver.execute_script(_SEARCH, "")
        marks["jump"] = driver.execute_async_script(_JUMP, "card-9000")
        assert driver.execute_script("return document.getElementById('card-9000').classList.contains('pv-done')")
        runs.append(marks)
    assert all(r["cards"] == deck.notes for r in runs), runs
    med = {k: statistics.median(r[k] for r in runs) for k in ("ready", "first", "search1", "search2", "jump")}
    return {"cards": deck.notes, "wall": statistics.median(walls), "mib": size / 2**20, **med,
            "shown": runs[0]["shown"]}


_JUMP = """
const done = arguments[arguments.length - 1], start = performance.now();
addEventListener('hashchange', () => requestAnimationFrame(() => setTimeout(() => done(performance.now() - start))),
                 {once: true});
location.hash = arguments[0];  // to the next frame drawn after it
"""
_SEARCH = """
const box = document.getElementById('pv-search'), start = performance.now();
box.value = arguments[0];
box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));  // filters at once
return performance.now() - start;
"""


# --- watch ---------------------------------------------------------------------------------


def layout(per_file: int) -> Path:
    """1,000 questions of the corpus, `per_file` to a file."""
    folder = OUT / f"notes-{per_file}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    questions = [qa for i in range(2) for qa in corpus.make_file(i).questions]
    for k in range(0, len(questions), per_file):
        spec = corpus.NoteFileSpec(f"{k // per_file:03d}.md", f"파트 {k // per_file + 1}", ["DL"],
                                   questions[k:k + per_file])
        (folder / spec.name).write_text(corpus.bold_bullets(spec), encoding="utf-8")
    return folder


class Watch:
    def __init__(self, notes: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "deckgen", "watch", str(notes), "-o",
                                      str(OUT / f"served-{notes.name}"), "--port", "0"], cwd=OUT,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        for line in self.proc.stdout:
            if m := re.search(r"(http://127\.0\.0\.1:\d+/)", line):
                self.url = m.group(1)
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.events = urllib.request.urlopen(self.url + "_deckgen/events", timeout=60)
        self.next_event()

    def next_event(self) -> dict:
        while True:
            line = self.events.readline().decode()
            if line.startswith("data: "):
                return json.loads(line[6:])

    def close(self) -> None:
        self.events.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def edit(path: Path, n: int) -> None:
    """Edit the file's first question: its words and a formula in it."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\*\*\[(\d+)\]( 고친 질문 \d+ \$x_\{\d+\}\$)?", rf"**[\1] 고친 질문 {n} $x_{{{n}}}$",
                           text, count=1), encoding="utf-8")


_SHOWN = """
// Note (by the page's clock) when #card-N first shows the edit's words with all its math typeset.
const [id, words] = arguments;
window.pvShown = 0;
performance.clearMarks('pv-update');
const seen = () => {
  const card = document.getElementById(id);
  if (card && card.classList.contains('pv-done') && card.textContent.includes(words) && !/\\\\[(\\[]/.test(card.textContent)) {
    window.pvShown = performance.timeOrigin + performance.now();
    watcher.disconnect();
  }
};
const watcher = new MutationObserver(seen);
watcher.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
"""


def bench_watch(driver, per_file: int) -> dict:
    notes = layout(per_file)
    target = sorted(notes.glob("*.md"))[len(list(notes.glob("*.md"))) // 2]
    watch = Watch(notes)
    try:
        to_event, to_page, page_part = [], [], []
        for n in range(REPS):
            time.sleep(0.3)
            start = time.perf_counter()
            edit(target, n)
            state = watch.next_event()
            to_event.append(time.perf_counter() - start)
            assert state["ok"], state
        driver.get(watch.url)
        wait(driver, "document.body.dataset.ready === '1' && document.getElementById('pv-live').textContent.includes('live')")
        number = driver.execute_script(  # the edited card, and the page put at it
            f"const c = window.deckgenCards.cards.find(c => c[0].includes('고친 질문 {REPS - 1} ')); return c && c[5]")
        assert number, "the edited card is not in the page"
        card = f"card-{number}"
        driver.execute_script(f"location.hash = '{card}'")
        wait(driver, f"document.getElementById('{card}').classList.contains('pv-done') && "
                     f"!/\\\\[(\\[]/.test(document.getElementById('{card}').textContent)")
        for n in range(REPS, 2 * REPS):
            driver.execute_script(_SHOWN, card, f"고친 질문 {n} ")
            time.sleep(0.3)
            saved = time.time() * 1000  # the page's clock is the same wall clock, in ms
            edit(target, n)
            done = wait(driver, "window.pvShown")
            to_page.append((done - saved) / 1000)
            began = driver.execute_script(
                "return performance.timeOrigin + performance.getEntriesByName('pv-update').at(-1).startTime")
            page_part.append((done - began) / 1000)
            assert driver.execute_script(f"return document.getElementById('{card}').getBoundingClientRect().top") < 800
    finally:
        watch.close()
    return {"files": len(list(notes.glob("*.md"))), "event": statistics.median(to_event),
            "page": statistics.median(to_page), "event_max": max(to_event), "page_max": max(to_page),
            "part": statistics.median(page_part), "part_max": max(page_part)}


def section(info: dict, page: dict, watches: list[tuple[int, dict]]) -> str:
    lines = [
        HEADING, "",
        f"Run {info['date']} on {info['cpu']} (shared; load average at start {info['load']}), "
        f"Python {info['python'].split()[0]}, deckgen {info['deckgen']}. Medians of {REPS} (the "
        "`deckgen preview` wall: of 3). Chromium headless, 1280 x 800, page opened from disk.", "",
        f"| preview of {page['cards']:,} cards (bench/corpus.py 10k) | |",
        "|---|---:|",
        f"| `deckgen preview`, whole process, parse cache warm | {page['wall']:.2f} s |",
        f"| page written (index.html + cards data) | {page['mib']:.1f} MiB |",
        f"| navigation → page ready (every box, TOC, filters) | {page['ready'] / 1000:.2f} s |",
        f"| navigation → first card drawn | {page['first'] / 1000:.2f} s |",
        f"| first search (makes every card's search text) | {page['search1']:.0f} ms |",
        f"| next search ({page['shown']} cards match) | {page['search2']:.0f} ms |",
        f"| jump to #card-9000, to the next frame | {page['jump']:.0f} ms |",
        "",
        "| `deckgen watch`, 1,000 questions, one edited and saved | save → build event | save → edited card shown, "
        "math typeset | the page's part: update begun → card shown |",
        "|---|---:|---:|---:|",
    ]
    for per_file, w in watches:
        lines.append(f"| {per_file} questions a file ({w['files']} files) | {w['event']:.2f} s (max {w['event_max']:.2f}) "
                     f"| {w['page']:.2f} s (max {w['page_max']:.2f}) | {w['part']:.2f} s (max {w['part_max']:.2f}) |")
    lines += ["", "A save costs the reread of the blocks the edit touched in the file that changed "
              "(markdown-it-py reads a file whole only on its first save, unless the watcher read it ahead "
              "while it waited; the other tokens, and the other "
              "files' parses, are the watcher's), that file's notes and the page around the cards. The open "
              "page fetches the new page and the sides of only the cards it lacks, and draws and typesets only "
              "those (the edited card here); the page is put at the edited card before each save.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help=f"put the section into {RESULTS.name}")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    # Compiled, as an install by pip leaves it (see run.py's snapshot).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "deckgen")], capture_output=True)
    cache = Path(tempfile.mkdtemp(prefix="deckgen-bench-cache-"))
    os.environ["DECKGEN_CACHE"] = str(cache)
    info = machine()
    driver = chromium(OUT / "chromium-profile")
    try:
        page = bench_page(driver, cache)
        watches = [(per_file, bench_watch(driver, per_file)) for per_file in (500, 50)]
    finally:
        driver.quit()
        shutil.rmtree(cache, ignore_errors=True)
    text = section(info, page, watches)
    print(text)
    if args.write:
        old = RESULTS.read_text(encoding="utf-8")
        if HEADING in old:
            start = old.index(HEADING)
            end = old.find("\n## ", start + len(HEADING))
            old = old[:start] + old[end + 1:] if end >= 0 else old[:start]
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
