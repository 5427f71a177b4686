"""Benchmark deckgen against the floor of its own stack and against peer tools, side by side.

Every case runs as a whole separate process (start-up, imports and all), several times; the
table shows the median wall time, the ratio to a baseline measured in this same run (the floor
at the same size, or Python start-up for the sample deck) and the peak RSS of the process.
Repetitions are interleaved (floor, deckgen, peers, floor, ...) so that a noisy neighbour
slows every case alike instead of one.

    python bench/run.py                      # 1k and 10k x3, 50k x1, scaling x3; writes bench/RESULTS.md
    python bench/run.py --sizes 1k,10k --reps 3
    python bench/run.py --quick              # 1k only, 1 repetition, RESULTS.md untouched
    python bench/run.py --scale-only         # only the scaling cases (RESULTS.md untouched)

Sizes take an optional repetition count of their own: `--sizes 1k,10k,50k:1`.
The scaling cases (bench/corpus.py) grow one thing at a time, in deckgen alone: the spans of
inline math on one line (25k, 50k, 100k) and the number of one-question files, so of subdecks
(2.5k, 5k, 10k); each is reported as the time per span or per file, divided by that at the
smallest size in the same repetition: flat (≤ 1) is linear, 2 and 4 would be quadratic.
Peers are run from their own virtualenvs under bench/.venvs/ (see --install-peers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

OUT = HERE / "out"
SNAPSHOT = OUT / "snapshot"  # the deckgen under test, copied once so edits during a run do not mix in
VENVS = HERE / ".venvs"
PEER_TIMEOUT = 120.0
OWN_TIMEOUT = 900.0
EDIT_FILE_INDEX = 0
EDIT_PAUSE = 5.0  # seconds between the server's build and the first edit, as a user's edit comes
SERVER_SIZES = ("1k", "10k")  # where the build server is measured (ankdown is measured there)
BEYOND_BASE = "σλ똠"  # in the font, not in the everyday set it ships cut ahead


# --- running one process --------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    rss_mib: float
    ok: bool
    note: str = ""
    rep: int = 0


def measure(cmd: list[str], *, cwd: Path, env: dict | None = None, timeout: float, log: Path,
            check=None) -> Run:
    """Run `cmd` to completion; return its wall time and the peak RSS of the process."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024  # KiB on Linux
    if timed_out.is_set():
        return Run(timeout, rss, False, f">{timeout:.0f} s")
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        return Run(wall, rss, False, f"exit {proc.returncode}: {tail[0][:80]}")
    if check is not None:
        problem = check()
        if problem:
            return Run(wall, rss, False, problem)
    return Run(wall, rss, True)


@dataclass
class Case:
    name: str
    size: str
    baseline: str  # the key of the case this one is divided by
    runs: list[Run] = field(default_factory=list)
    skipped: str = ""
    units: int = 0  # a scaling case: how many spans or files

    @property
    def key(self) -> str:
        return f"{self.name}@{self.size}"

    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def wall(self) -> float | None:
        ok = self.ok_runs()
        return statistics.median(r.wall for r in ok) if ok and len(ok) == len(self.runs) else None

    def rss(self) -> float | None:
        ok = self.ok_runs()
        return max(r.rss_mib for r in ok) if ok else None

    def ratio_to(self, base: Case) -> float | None:
        """Median over repetitions of this run's wall / the baseline's wall in the same repetition."""
        if self.wall() is None or base.wall() is None:
            return None
        by_rep = {r.rep: r.wall for r in base.runs}
        pairs = [r.wall / by_rep[r.rep] for r in self.runs if r.rep in by_rep]
        return statistics.median(pairs) if pairs else self.wall() / base.wall()

    def failure(self) -> str:
        bad = [r for r in self.runs if not r.ok]
        return self.skipped or (bad[0].note if bad else "")


# --- the cases ------------------------------------------------------------------------------


def _peak_rss(pid: int) -> float:
    """The peak RSS of a running process in MiB (0 where /proc does not tell)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SNAPSHOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def snapshot(python: str, tries: int = 6) -> None:
    """Copy deckgen/, templates/ and build_deck.py aside and check they import; retry a tree mid-edit."""
    for _ in range(tries):
        _clear(SNAPSHOT)
        SNAPSHOT.mkdir(parents=True)
        for name in ("deckgen", "templates"):
            shutil.copytree(REPO / name, SNAPSHOT / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(REPO / "build_deck.py", SNAPSHOT / "build_deck.py")
        # Compiled, as an install by pip leaves a package (and the peers' venvs): a run with
        # PYTHONDONTWRITEBYTECODE set would otherwise compile all of deckgen in every process.
        subprocess.run([python, "-m", "compileall", "-q", str(SNAPSHOT / "deckgen")], capture_output=True)
        probe = subprocess.run([python, "-c", "import deckgen.cli, deckgen.build"], cwd=SNAPSHOT,
                               env=_env(), capture_output=True, text=True)
        if probe.returncode == 0:
            return
        print(f"deckgen does not import (being edited?), retrying: {probe.stderr.strip()[-200:]}",
              file=sys.stderr)
        time.sleep(10)
    raise SystemExit("deckgen in the working tree does not import; nothing measured")


def _clear(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _has_apkg(folder: Path):
    def check() -> str:
        found = list(folder.rglob("*.apkg")) if folder.exists() else []
        return "" if found else "exit 0 but no .apkg written"
    return check


class Bench:
    def __init__(self, python: str, log_dir: Path):
        self.python = python
        self.logs = log_dir
        self.work = OUT / "work"  # deckgen's working folder: any cache it keeps in cwd lands here
        self.xdg = OUT / "xdg-cache"
        self.work.mkdir(parents=True, exist_ok=True)
        self.cases: dict[str, Case] = {}
        self.rep = 0
        self.locks: dict[str, tuple[int, int]] = {}  # size -> bytes of its lock in format 2, and in format 1

    def lock_size(self, sources: Path) -> tuple[int, int]:
        """The lock the full build left, beside the format-1 lock of the same notes (bench/locksize.py)."""
        done = subprocess.run([self.python, str(HERE / "locksize.py"), str(sources), str(SNAPSHOT)],
                              cwd=self.work, env=_env(), capture_output=True, text=True, timeout=OWN_TIMEOUT)
        if done.returncode != 0:
            print(f"  lock size not measured: {done.stderr.strip()[-200:]}", file=sys.stderr)
            return (0, 1)
        found = json.loads(done.stdout)
        return found["format 2"], found["format 1"]

    def case(self, name: str, size: str, baseline: str) -> Case:
        key = f"{name}@{size}"
        if key not in self.cases:
            self.cases[key] = Case(name, size, baseline)
        return self.cases[key]

    def _record(self, case: Case, run: Run) -> Run:
        run.rep = self.rep
        case.runs.append(run)
        status = f"{run.wall:7.2f} s {run.rss_mib:6.1f} MiB" if run.ok else f"FAILED {run.note}"
        print(f"  {case.name:<34} {case.size:>6}  {status}", file=sys.stderr, flush=True)
        return run

    def deckgen(self, sources: Path, outdir: Path, log: str, timeout: float = OWN_TIMEOUT) -> Run:
        cmd = [self.python, str(SNAPSHOT / "build_deck.py"), "build", str(sources), "-o", str(outdir)]
        env = _env(XDG_CACHE_HOME=str(self.xdg), DECKGEN_CACHE=str(self.xdg / "deckgen"))
        return measure(cmd, cwd=self.work, env=env, timeout=timeout,
                       log=self.logs / log, check=_has_apkg(outdir))

    def cold(self, sources: Path, outdir: Path) -> None:
        """Forget every earlier build: no lock, no output, no cache."""
        _clear(sources / "deckgen.lock", sources / ".deckgen-cache", outdir,
               self.work / ".deckgen-cache", self.xdg)

    def fonts_only(self, sources: Path, outdir: Path) -> None:
        """Forget every earlier build but keep the font subsets (cached by their set of glyphs)."""
        _clear(sources / "deckgen.lock", outdir, self.xdg / "deckgen" / "parse", self.xdg / "deckgen" / "builds")

    # one repetition of every case at one size
    def size_round(self, c: corpus.Corpus, peers: list[Peer], rep: int) -> None:
        size = c.size
        src = c.shape("deckgen")
        floor_key = f"floor@{size}"
        out = OUT / "runs" / size

        floor = self.case("floor (markdown-it-py + genanki)", size, "")
        floor_apkg = out / "floor" / "floor.apkg"
        _clear(out / "floor")
        self._record(floor, measure([self.python, str(HERE / "floor.py"), str(src), str(floor_apkg)],
                                    cwd=self.work, env=_env(), timeout=OWN_TIMEOUT,
                                    log=self.logs / f"floor-{size}.log", check=_has_apkg(out / "floor")))
        self.cases[floor_key] = floor

        outdir = out / "deckgen"
        self.cold(src, outdir)
        cold = self._record(self.case("deckgen full build, cold", size, floor_key),
                            self.deckgen(src, outdir, f"deckgen-cold-{size}.log"))
        self.fonts_only(src, outdir)
        full = self._record(self.case("deckgen full build", size, floor_key),
                            self.deckgen(src, outdir, f"deckgen-full-{size}.log"))
        if full.ok and size not in self.locks:
            self.locks[size] = self.lock_size(src)
        if full.ok and cold.ok:
            self._record(self.case("deckgen rebuild, no change", size, floor_key),
                         self.deckgen(src, outdir, f"deckgen-nochange-{size}.log"))
            spec = corpus.make_file(EDIT_FILE_INDEX)
            path = src / spec.name
            original = path.read_bytes()
            try:
                path.write_text(corpus.bold_bullets(spec, insert=corpus.extra_question()), encoding="utf-8")
                self._record(self.case("deckgen rebuild, +1 question", size, floor_key),
                             self.deckgen(src, outdir, f"deckgen-edit-{size}.log"))
            finally:
                path.write_bytes(original)
            if size in SERVER_SIZES:
                self.server_round(src, out)

        for peer in peers:
            case = self.case(peer.label, size, floor_key)
            if case.skipped:
                continue
            reason = peer.skip_reason(size, self.cases)
            if reason:
                case.skipped = reason
                continue
            peer_out = out / peer.name
            _clear(peer_out)
            peer_out.mkdir(parents=True)
            self._record(case, peer.run(c, peer_out, self.logs / f"{peer.name}-{size}.log", self.work))

    def server_round(self, src: Path, out: Path) -> None:
        """The +1 question rebuild handed to `deckgen server` (deckgen/resident.py): a server started
        in a working folder and cache of its own builds the deck (not measured), then the edit of
        one file, then another edit of that file (the tokens of a file it has read kept). The wall
        is the `deckgen build` that hands the build off; the peak RSS is the server's."""
        work, cache, outdir = OUT / "work-server", OUT / "server-cache", out / "deckgen-server"
        _clear(work, cache, outdir, src / "deckgen.lock")
        work.mkdir(parents=True)
        env = _env(XDG_CACHE_HOME=str(cache), DECKGEN_CACHE=str(cache / "deckgen"))
        cmd = [self.python, str(SNAPSHOT / "build_deck.py"), "build", str(src), "-o", str(outdir)]
        size = src.parent.name
        with open(self.logs / f"server-{size}.log", "wb") as log:
            server = subprocess.Popen([self.python, str(SNAPSHOT / "build_deck.py"), "server"], cwd=work, env=env,
                                      stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        spec = corpus.make_file(EDIT_FILE_INDEX)
        path = src / spec.name
        original = path.read_bytes()
        try:
            deadline = time.monotonic() + 60
            while not list((cache / "deckgen" / "servers").glob("*.sock")):
                if server.poll() is not None or time.monotonic() > deadline:
                    print("  build server did not start: see its log", file=sys.stderr)
                    return
                time.sleep(0.05)
            built = measure(cmd, cwd=work, env=env, timeout=OWN_TIMEOUT, log=self.logs / f"server-full-{size}.log",
                            check=_has_apkg(outdir))
            if not built.ok:
                print(f"  build through the server failed: {built.note}", file=sys.stderr)
                return
            # A user edits seconds after a build: the server reads ahead meanwhile the deck's files
            # that changed last, as many as it may hold (deckgen/build.py, read_ahead).
            time.sleep(EDIT_PAUSE)
            first = corpus.bold_bullets(spec, insert=corpus.extra_question())
            again = corpus.extra_question(second=True)
            for name, text in (("deckgen rebuild, +1 question, build server", first),
                               ("deckgen rebuild, +1 more question, build server",
                                first.replace(*corpus.after_extra(again)))):
                path.write_text(text, encoding="utf-8")
                run = measure(cmd, cwd=work, env=env, timeout=OWN_TIMEOUT, log=self.logs / f"server-edit-{size}.log",
                              check=_has_apkg(outdir))
                run.rss_mib = max(run.rss_mib, _peak_rss(server.pid))
                self._record(self.case(name, size, f"floor@{size}"), run)
        finally:
            path.write_bytes(original)
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
            _clear(src / "deckgen.lock")

    def scale_round(self, cases: list[corpus.ScaleCase]) -> None:
        """One cold build (no lock, output or parse cache; the font cache kept) of each case."""
        for sc in cases:
            outdir = OUT / "runs" / "scale" / sc.name
            self.fonts_only(sc.root, outdir)
            case = self.case(f"scale: {corpus.SCALE_WHAT[sc.kind]}", f"{sc.units:,}", "")
            case.units = sc.units
            self._record(case, self.deckgen(sc.root, outdir, f"scale-{sc.name}.log"))
            _clear(sc.root / "deckgen.lock")

    def sample_round(self, sample: Path, label: str) -> None:
        base = "start-up@sample"
        startup = self.case("start-up: import genanki, markdown_it", "sample", "")
        self._record(startup, measure([self.python, "-c", "import genanki, markdown_it"], cwd=self.work,
                                      env=_env(), timeout=60, log=self.logs / "startup.log"))
        self.cases[base] = startup
        self._record(self.case("python -c pass", "sample", base),
                     measure([self.python, "-c", "pass"], cwd=self.work, env=_env(), timeout=60,
                             log=self.logs / "python.log"))
        outdir = OUT / "runs" / "sample" / "tmp"
        self.cold(sample, outdir)
        self._record(self.case("sample deck build, cold font cache", "sample", base),
                     self.deckgen(sample, outdir, "sample-cold.log", timeout=120))
        # The same with one more note whose characters lie beyond the shipped base subsets, so
        # the build cuts an added subset of each weight.
        extra = sample / "zz-beyond-base.md"
        extra.write_text(f"- **{BEYOND_BASE} 는 무엇인가요?**\n  - 기호 {BEYOND_BASE} 의 뜻입니다.\n",
                         encoding="utf-8")
        try:
            self.cold(sample, outdir)
            self._record(self.case(f"sample deck build, cold font cache, +{len(BEYOND_BASE)} rare characters",
                                   "sample", base),
                         self.deckgen(sample, outdir, "sample-cold-rare.log", timeout=120))
        finally:
            extra.unlink()
        self.fonts_only(sample, outdir)
        full = self._record(self.case(f"sample deck build ({label})", "sample", base),
                            self.deckgen(sample, outdir, "sample-full.log", timeout=120))
        if full.ok:
            self._record(self.case("sample deck rebuild, no change", "sample", base),
                         self.deckgen(sample, outdir, "sample-nochange.log", timeout=120))


# --- peers ----------------------------------------------------------------------------------


@dataclass
class Peer:
    name: str  # venv folder and corpus shape
    label: str
    package: list[str]  # pip requirements, pins included
    command: str  # the executable in the venv
    args: callable
    note: str = ""

    @property
    def venv(self) -> Path:
        return VENVS / self.name

    def exe(self) -> Path:
        return self.venv / "bin" / self.command

    def installed(self) -> bool:
        return self.exe().exists()

    def install(self) -> str:
        """Install into bench/.venvs/<name>; return '' or why it failed."""
        if self.installed():
            return ""
        try:
            subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, capture_output=True)
            subprocess.run([str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q", *self.package],
                           check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            err = getattr(exc, "stderr", b"") or b""
            return f"install failed: {err.decode(errors='replace').strip().splitlines()[-1:] or exc}"
        return "" if self.installed() else "installed, but no command"

    def skip_reason(self, size: str, cases: dict[str, Case]) -> str:
        if size not in ("1k", "10k"):
            return "run at 1k and 10k only"
        if size == "10k":
            small = cases.get(f"{self.label}@1k")
            if small is not None and small.runs:
                w = max(r.wall for r in small.runs)
                if not all(r.ok for r in small.runs) or w * 10 > PEER_TIMEOUT:
                    return f"too slow or failing at 1k ({small.failure() or f'{w:.1f} s'})"
        return ""

    def run(self, c: corpus.Corpus, out: Path, log: Path, cwd: Path) -> Run:
        cmd = [str(self.exe()), *self.args(c.shape(self.name), out)]
        return measure(cmd, cwd=cwd, env=None, timeout=PEER_TIMEOUT, log=log, check=_has_apkg(out))


PEERS = [
    Peer("ankdown", "ankdown 0.7.1", ["ankdown==0.7.1"], "ankdown",
         lambda src, out: ["-r", str(src), "-p", str(out / "deck.apkg")]),
    Peer("mdankideck", "markdown-anki-decks 1.1.1", ["markdown-anki-decks==1.1.1", "click<8.2"], "mdankideck",
         lambda src, out: [str(src), str(out)]),
]
NOT_RUN = [
    ("md2anki 3.1.0", "not run: needs Python >= 3.12; quadratic (PEERS.md: 1k 10.7 s)"),
    ("markdown2anki 0.2.0", "not run: interactive first-run wizard; writes CSV, not .apkg"),
    ("inka2 3.2.2", "not run: 730 MB with Anki; writes into an Anki profile, not an .apkg"),
]


ENGINES = Peer("engines", "markdown engines", ["markdown-it-py>=4.1.0", "mdit-py-plugins>=0.5.0", "genanki>=0.13.1",
                                               "markdown-it-pyrs==0.4.0", "pyromark==0.10.3"], "python",
               lambda src, out: [])


def run_engines(c: corpus.Corpus, reps: int) -> list[dict]:
    """Time the markdown engines on the corpus's answers, in their own venv (see engines.py)."""
    if ENGINES.install():
        return []
    done = subprocess.run([str(ENGINES.exe()), str(HERE / "engines.py"), str(c.shape("deckgen")),
                           "--reps", str(reps)], capture_output=True, text=True, timeout=OWN_TIMEOUT)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return []
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def engines_table(rows: list[dict], size: str) -> str:
    if not rows:
        return "(not measured)"
    lines = [f"Every answer of the {size} corpus ({rows[0]['answers']:,} answers) rendered to HTML in one "
             "process, median of the repetitions (`bench/engines.py`, its own venv):", "",
             "| engine | median wall | ratio |", "|---|---:|---:|"]
    lines += [f"| {r['engine']} | {r['wall']:.2f} s | {r['ratio']:.2f}× |" for r in rows]
    return "\n".join(lines)


# --- the sample deck ------------------------------------------------------------------------


def sample_sources() -> tuple[Path, str]:
    """A copy of sources/ (so its lock is never touched), or a 100-question stand-in."""
    dest = OUT / "sample" / "sources"
    _clear(dest)
    given = REPO / "sources"
    notes = [p for p in given.rglob("*") if p.suffix.lower() in (".md", ".markdown")] if given.is_dir() else []
    if notes:
        shutil.copytree(given, dest, ignore=shutil.ignore_patterns("deckgen.lock", ".*"))
        return dest, f"sources/, {len(notes)} files"
    dest.mkdir(parents=True)
    spec = corpus.make_file(0)
    spec.questions = spec.questions[:85]
    (dest / spec.name).write_text(corpus.bold_bullets(spec), encoding="utf-8")
    n = sum(1 + len(q.subs) for q in spec.questions)
    return dest, f"sources/ is empty: {n} generated questions"


# --- report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    py = subprocess.run([sys.executable, "-c", "import sys; print(sys.version.split()[0])"],
                        capture_output=True, text=True).stdout.strip()
    try:
        commit = subprocess.run(["git", "--no-optional-locks", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(REPO), "status", "--porcelain",
                                "deckgen", "templates"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    try:
        mem = next(int(x.split()[1]) // 1024 for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{os.cpu_count()} × {cpu}" if cpu else str(os.cpu_count()),
        "memory": f"{mem} MiB",
        "python": f"{py} ({sys.executable})",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "deckgen": (commit + (" + uncommitted changes" if dirty else "")) or "unknown",
    }


def _fmt_wall(case: Case) -> str:
    w = case.wall()
    return f"{w:.2f} s" if w is not None else (case.failure() or "—")


def table(bench: Bench, notes: dict[str, int]) -> str:
    rows = ["| case | size | median wall | ratio | peak RSS |", "|---|---|---:|---:|---:|"]
    for key, case in bench.cases.items():
        if key != case.key or case.units:
            continue  # an alias (floor@, start-up@), or a scaling case (scale_table)
        base = bench.cases.get(case.baseline)
        ratio = ""
        w = case.wall()
        r = case.ratio_to(base) if base is not None else None
        if r is not None:
            unit = "start-up" if case.size == "sample" else "floor"
            ratio = f"{r:.2f}× {unit}"
        elif not case.baseline and w is not None:
            ratio = "1 (baseline)"
        rss = case.rss()
        size = f"{case.size} ({notes[case.size]:,} notes)" if case.size in notes else case.size
        rows.append(f"| {case.name} | {size} | {_fmt_wall(case)} | {ratio} | "
                    f"{f'{rss:.0f} MiB' if rss is not None else ''} |")
    for label, why in NOT_RUN:
        rows.append(f"| {label} | — | {why} | | |")
    return "\n".join(rows)


def scale_groups(bench: Bench) -> dict[str, list[tuple[Case, float | None]]]:
    """Each scaling case's sizes, smallest first, each with its time per unit divided by that at
    the smallest size, repetition by repetition (median of the ratios; None if not measured)."""
    groups: dict[str, list[Case]] = {}
    for case in bench.cases.values():
        if case.units:
            groups.setdefault(case.name, []).append(case)
    out = {}
    for name, cases in groups.items():
        cases.sort(key=lambda c: c.units)
        first = cases[0]
        by_rep = {r.rep: r.wall / first.units for r in first.runs if r.ok}
        out[name] = []
        for case in cases:
            pairs = [r.wall / case.units / by_rep[r.rep] for r in case.runs if r.ok and r.rep in by_rep]
            ok = case.wall() is not None and first.wall() is not None and pairs
            out[name].append((case, statistics.median(pairs) if ok else None))
    return out


def scale_table(bench: Bench) -> str:
    groups = scale_groups(bench)
    if not groups:
        return "(not measured)"
    rows = ["| case | size | median wall | per unit | ratio to the smallest | peak RSS |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, cases in groups.items():
        unit = next(corpus.SCALE_UNIT[k] for k, what in corpus.SCALE_WHAT.items() if name.endswith(what))
        for i, (case, ratio) in enumerate(cases):
            w = case.wall()
            per = f"{w / case.units * 1e6:.0f} µs" if w is not None else ""
            shown = ("1 (baseline)" if i == 0 else f"{ratio:.2f}×") if ratio is not None else ""
            rss = case.rss()
            rows.append(f"| {name} | {case.size} {unit}s | {_fmt_wall(case)} | {per} | {shown} | "
                        f"{f'{rss:.0f} MiB' if rss is not None else ''} |")
    return "\n".join(rows)


def goals(bench: Bench, sizes: list[str], notes: dict[str, int]) -> str:
    def wall(name: str, size: str) -> float | None:
        c = bench.cases.get(f"{name}@{size}")
        return c.wall() if c else None

    def ratio(name: str, size: str, base: str) -> float | None:
        c = bench.cases.get(f"{name}@{size}")
        return c.ratio_to(bench.cases[base]) if c is not None and base in bench.cases else None

    lines = ["| goal | target | measured | met |", "|---|---|---:|---|"]

    def row(goal: str, target: str, value: float | None, fmt: str, ok) -> None:
        shown = fmt.format(value) if value is not None else "not measured"
        met = ("yes" if ok(value) else "**no**") if value is not None else "—"
        lines.append(f"| {goal} | {target} | {shown} | {met} |")

    ref = "10k" if "10k" in sizes else sizes[-1]
    floor = f"floor@{ref}"
    row(f"full build, {ref}", "≤ 2× floor", ratio("deckgen full build", ref, floor), "{:.2f}× floor",
        lambda v: v <= 2)
    row(f"full build with an empty font cache, {ref}", "≤ 2× floor",
        ratio("deckgen full build, cold", ref, floor), "{:.2f}× floor", lambda v: v <= 2)
    row(f"rebuild after adding one question, {ref}", "≤ 1× floor",
        ratio("deckgen rebuild, +1 question", ref, floor), "{:.2f}× floor", lambda v: v <= 1)
    row(f"rebuild with no change, {ref}", "≤ 0.2× floor",
        ratio("deckgen rebuild, no change", ref, floor), "{:.2f}× floor", lambda v: v <= 0.2)
    own = [c.rss() for c in bench.cases.values()
           if c.name.startswith(("deckgen", "sample deck")) and c.size in (ref, "sample") and c.rss()]
    row(f"peak memory, any deckgen run at {ref} or the sample deck", "≤ 150 MiB", max(own) if own else None,
        "{:.0f} MiB", lambda v: v <= 150)
    measured = [s for s in sizes if wall("deckgen full build", s) is not None]
    if len(measured) >= 2:
        lo, hi = measured[0], measured[-1]
        # marginal cost per question between the two largest sizes vs. between the two smallest
        per = {s: wall("deckgen full build", s) / notes[s] * 1000 for s in measured}
        lines.append(f"| linear {lo} → {hi} (full build) | ms per question flat | "
                     + ", ".join(f"{s}: {per[s]:.2f} ms" for s in measured) + " | "
                     + ("yes" if per[hi] <= per[measured[-2]] * 1.15 else "**no**") + " |")
        rss = {s: bench.cases[f"deckgen full build@{s}"].rss() for s in measured}
        per_q = (rss[hi] - rss[lo]) / (notes[hi] - notes[lo]) * 1024 if notes[hi] != notes[lo] else 0
        lines.append("| memory growth (full build), for information | — | "
                     + ", ".join(f"{s}: {rss[s]:.0f} MiB" for s in measured)
                     + f" (about {per_q:.0f} KiB per question) | — |")
        row(f"memory growth (full build), {lo} → {hi}", "≤ 4 KiB per question", per_q if notes[hi] != notes[lo] else None,
            "{:.1f} KiB per question", lambda v: v <= 4)
    ank = PEERS[0].label
    for size in sizes:
        base = f"{ank}@{size}"
        if base not in bench.cases or not bench.cases[base].ok_runs():
            continue
        for case, most in (("deckgen rebuild, +1 question", 0.5), ("deckgen rebuild, +1 question, build server", 0.5),
                           ("deckgen rebuild, +1 more question, build server", 0.5),
                           ("deckgen rebuild, no change", 0.3), ("deckgen full build", 1.0)):
            row(f"{case.removeprefix('deckgen ')}, {size}", f"≤ {most}× {ank}", ratio(case, size, base),
                f"{{:.2f}}× {ank}", lambda v, most=most: v <= most)
    for size, (two, one) in sorted(bench.locks.items(), key=lambda kv: notes.get(kv[0], 0)):
        row(f"lock size, {size}", "≤ 1/4 of format 1's", two / one, f"{{:.0%}} ({two / 2**20:.2f} MiB of {one / 2**20:.2f})",
            lambda v: v <= 0.25)
    for peer in PEERS:
        theirs = wall(peer.label, ref)
        for case in ("deckgen full build, cold", "deckgen rebuild, +1 question",
                     "deckgen rebuild, +1 more question, build server", "deckgen rebuild, no change"):
            ours = wall(case, ref)
            if theirs is None or ours is None:
                continue
            lines.append(f"| ahead of {peer.label}: {case.removeprefix('deckgen ')}, {ref} | "
                         f"< {theirs:.2f} s (its build) | {ours:.2f} s | {'yes' if ours < theirs else '**no**'} |")
    for name, cases in scale_groups(bench).items():
        if len(cases) >= 2:
            (lo, _), (hi, last) = cases[0], cases[-1]
            row(f"linear, {name.removeprefix('scale: ')}: {lo.size} → {hi.size}",
                "time per unit ≤ 1.2× the smallest size's", last, "{:.2f}×", lambda v: v <= 1.2)
    sample_build = next((c.name for c in bench.cases.values() if c.name.startswith("sample deck build (")), "-")
    row("sample deck, whole process", "≤ 3× start-up", ratio(sample_build, "sample", "start-up@sample"),
        "{:.2f}× start-up", lambda v: v <= 3)
    row("sample deck, rebuild with no change", "close to start-up (≤ 1.5×)",
        ratio("sample deck rebuild, no change", "sample", "start-up@sample"), "{:.2f}× start-up",
        lambda v: v <= 1.5)
    return "\n".join(lines)


def write_results(path: Path, info: dict[str, str], tab: str, goal_tab: str, args: str,
                  notes: dict[str, int], engine_tab: str, scale_tab: str) -> None:
    text = f"""# Benchmark results

Measured by `make bench` (`python bench/run.py{args}`): every case is a whole separate process,
median wall time of the repetitions, peak RSS of the process. Ratios divide by a baseline
measured in the same run, repetition by repetition (median of the per-repetition ratios): the
floor (`bench/floor.py`: markdown-it-py rendering each answer, genanki writing the same number
of notes, one model, one deck) at the same size, or, for the sample deck, the start-up of
`python -c "import genanki, markdown_it"`. Repetitions are interleaved, so a noisy neighbour
slows a case and its baseline alike. deckgen is copied aside at the start of the run and
measured from that copy, its bytecode compiled as an install by pip leaves it.
"Full build" has no `deckgen.lock`, an empty output folder and no parse cache; the font subsets
(cached by their set of glyphs) are those of the cold build just before it. "Full build, cold"
also starts with an empty font cache. deckgen ships the base font subsets (the everyday Hangul
set, ASCII, punctuation) cut ahead, so a cold build cuts a font only for characters beyond them:
the corpus has none; the sample case "+{len(BEYOND_BASE)} rare characters" adds a note with {BEYOND_BASE}.
"+1 question" inserts one question in the middle of one file after a build, then rebuilds.
"build server" cases hand that rebuild to `deckgen server` (started in a folder and cache of its
own, which built the deck first): the first edit of the file, {EDIT_PAUSE:.0f} s after the server built the
deck (while it waits, a server reads ahead the files changed last, as many as it may hold: here
the file edited, which the one-off "+1 question" case edited and put back just before), then one more
question beside it ("+1 more question", the file's tokens kept); the wall is the `deckgen build`
that hands the build off, the peak RSS the server's.
The goals against ankdown divide deckgen's case by ankdown's build of the same questions at the
same size, repetition by repetition. "Lock size" is the lock the full build wrote (format 2)
beside the format-1 lock earlier deckgens wrote for the same notes (`bench/locksize.py`); memory
growth is the peak RSS of the full build between the smallest and largest size, per question.
The corpus (`bench/corpus.py`) is Korean questions in the bold-bullet shape, 500 per file, with
inline and display math, fenced code, nested lists and sub-questions; the peers read the same
questions and answers in their own input shapes.

- date: {info['date']}
- machine: {info['cpu']}, {info['memory']} (shared; load average at start {info['load']})
- python: {info['python']}
- deckgen: {info['deckgen']}

{tab}

## Goals

{goal_tab}

## What bounds a full build: the markdown engine

{engine_tab}

## Scaling: one long line, many files

Two inputs that once took quadratic time, each grown fourfold (`bench/corpus.py`, deckgen alone, a
build with no lock, output or parse cache): one question whose answer is one line of `$x_i$ `
repeated (inline math spans), and one-question files, each its own subdeck. The time per span or
per file is divided by that at the smallest size in the same repetition: linear work keeps it
flat or lowers it (start-up is shared by more units), quadratic work would double it at 2× and
quadruple it at 4×.

{scale_tab}
"""
    path.write_text(text + _other_sections(path, text), encoding="utf-8")


def _other_sections(path: Path, text: str) -> str:
    """The sections of the results file that other benchmarks wrote (e.g. bench/preview.py's), kept."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    ours = {line for line in text.splitlines() if line.startswith("## ")}
    kept, keep = [], False
    for line in old.splitlines(keepends=True):
        if line.startswith("## "):
            keep = line.rstrip("\n") not in ours
        if keep:
            kept.append(line)
    return ("\n" + "".join(kept)) if kept else ""


# --- main -----------------------------------------------------------------------------------


def parse_counts(text: str) -> list[int]:
    """'2.5k,5k,10k' -> [2500, 5000, 10000]."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(int(float(part[:-1]) * 1000) if part.lower().endswith("k") else int(part))
        except ValueError:
            raise SystemExit(f"not a count: {part!r} (write 2500 or 2.5k)") from None
    return out


def parse_sizes(text: str, reps: int) -> list[tuple[str, int]]:
    out = []
    for part in text.split(","):
        name, _, n = part.strip().partition(":")
        if name not in corpus.SIZES:
            raise SystemExit(f"unknown size {name!r}; choose from {', '.join(corpus.SIZES)}")
        out.append((name, int(n) if n else reps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1k,10k,50k:1", help="comma-separated, each with optional :REPS")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per case (median reported)")
    ap.add_argument("--quick", action="store_true", help="1k only, 1 repetition, no RESULTS.md")
    ap.add_argument("--no-peers", action="store_true", help="skip the peer tools")
    ap.add_argument("--spans", default="25k,50k,100k",
                    help="sizes of the one-line math case ('' to skip); 'k' is thousands")
    ap.add_argument("--files", default="2.5k,5k,10k", help="sizes of the many-files case ('' to skip)")
    ap.add_argument("--scale-only", action="store_true", help="only the scaling cases; no RESULTS.md")
    ap.add_argument("--output", type=Path, help="where to write the results (default bench/RESULTS.md; "
                    "not written with --quick unless given)")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.reps, args.spans, args.files = "1k", 1, "", ""
    sizes = [] if args.scale_only else parse_sizes(args.sizes, args.reps)
    output = args.output or (None if args.quick or args.scale_only else HERE / "RESULTS.md")
    shown_args = "".join(f" {a}" for a in sys.argv[1:])

    info = machine()
    print(f"machine: {info['cpu']}; python {info['python']}; load {info['load']}", file=sys.stderr)
    notes: dict[str, int] = {}
    corpora = {}
    for size, _ in sizes:
        c = corpus.generate(size)
        corpora[size] = c
        notes[size] = c.notes
        print(f"corpus {size}: {c.notes} notes in {c.files} files", file=sys.stderr)

    scale = [corpus.generate_scale(kind, n) for kind, text in (("spans", args.spans), ("files", args.files))
             for n in parse_counts(text)]
    for sc in scale:
        print(f"scale case {sc.name}: {corpus.SCALE_WHAT[sc.kind]}", file=sys.stderr)

    peers: list[Peer] = []
    bench = Bench(sys.executable, OUT / "logs")
    if not args.no_peers and not args.scale_only:
        for peer in PEERS:
            why = peer.install()
            if why:
                bench.case(peer.label, "1k", "").skipped = why
            else:
                peers.append(peer)

    snapshot(sys.executable)
    sample, label = sample_sources()
    rounds = max((n for _, n in sizes), default=args.reps)
    for rep in range(rounds):
        print(f"repetition {rep + 1}/{rounds}", file=sys.stderr)
        bench.rep = rep
        if sizes:
            bench.sample_round(sample, label)
        for size, n in sizes:
            if rep < n:
                bench.size_round(corpora[size], peers, rep)
        if rep < args.reps:
            bench.scale_round(scale)

    scale_tab = scale_table(bench)
    print(f"\nmachine: {info['cpu']}; python {info['python']}; {info['date']}\n")
    if sizes:
        ref = "10k" if "10k" in corpora else sizes[-1][0]
        engine_rows = run_engines(corpora[ref], max(n for s, n in sizes if s == ref)) if not args.no_peers else []
        engine_tab = engines_table(engine_rows, ref)
        tab = table(bench, notes)
        goal_tab = goals(bench, [s for s, _ in sizes], notes)
        print(tab)
        print()
        print(goal_tab)
        print()
        print(engine_tab)
        print()
    print(scale_tab)
    if output is not None and sizes:
        write_results(output, info, tab, goal_tab, shown_args, notes, engine_tab, scale_tab)
        print(f"\nwrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
