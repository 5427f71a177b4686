"""`deckgen server`: a build process that stays ready, and `deckgen build` handing its work to it.

A one-off `deckgen build` spends a good part of a rebuild before and besides the work the edit
needs: starting Python, importing the markdown and packaging libraries, and reading the edited
file whole, since a new process has no tokens to reuse (see reparse.py). A server started in a
terminal (`deckgen server`, stopped by Ctrl-C) keeps all of that: its imports, every file's
parse (cache.ParseCache.memory) and the tokens of every file it has parsed, so an edit of a
file rereads only the blocks the edit touched; the files of a build whose tokens it does not
hold it reads ahead while it waits (build.read_ahead), and the parses a build made are written
to the cache once the build is answered. `deckgen build` run in the same folder, with
the same Python, deckgen, umask and DECKGEN_ settings, connects to it and the server runs the
command as the CLI would run it there: the same output (sent back as it is printed, a progress
line too), the same exit status, the same files written. Ctrl-C in the client interrupts the
build in the server as it would interrupt it here (see atomic.InterruptGuard).

Where there is no server, or it does not take the build within _ANSWER_SECONDS (stopped, or busy
with another build), the build runs here as always. A server whose code, templates or imported
modules changed on disk since it started, or whose folder was moved or made again, declines the
build and stops.

Only the user who started the server can reach it, and the client talks only to a server of
its own user: the socket is in a folder of the cache that only that user may open, and on Linux
each side checks the other's user id too.

Kept importable without the pipeline: the client runs before the CLI imports anything.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import struct
import sys

from deckgen import inputs
from deckgen.uptodate import _utf8

_FORMAT = 1
_HEADER = struct.Struct(">I")
_MOST = 64 << 20
"""The longest message either side accepts."""
_ANSWER_SECONDS = 2.0
"""How long a client waits for the server to take its build, and the server for its request."""


def _key() -> str:
    """What a build's outcome depends on besides its arguments and inputs: where and how it runs
    (the files it writes get the permissions the umask leaves)."""
    return repr((_FORMAT, sys.version, sys.executable, sys.path, inputs.PACKAGE, os.getcwd(),
                 sorted((k, v) for k, v in os.environ.items() if k.startswith("DECKGEN_")), _umask()))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def address() -> str:
    """The socket of the server for builds started here, in this way (see _key)."""
    digest = hashlib.sha256(_key().encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return os.path.join(inputs.cache_dir(), "servers", f"{digest}.sock")


def _send(sock, message: tuple) -> None:
    data = marshal.dumps(message)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock) -> tuple | None:
    """The next message, or None when the other side has gone."""
    head = _exactly(sock, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > _MOST:
        return None
    data = _exactly(sock, size)
    if data is None:
        return None
    try:
        message = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return message if isinstance(message, tuple) and message else None


def _exactly(sock, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        part = sock.recv(min(left, 1 << 16))
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# --- the client: `deckgen build` --------------------------------------------------------------


def hand_off(argv: list[str]) -> int | None:
    """Run `deckgen build` with `argv` in the server for this folder, if one is there and takes
    it: its exit status; None to build here."""
    if not argv or argv[0] != "build" or not hasattr(os, "getuid"):
        return None
    if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return None  # the server writes UTF-8
    path = address()
    if not os.path.exists(path) or not _private(os.path.dirname(path)):
        return None
    # The socket module's C part: `socket` wraps it in classes and enums that a client, which
    # only connects, sends and receives, would spend some 9 ms importing at every build.
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            # A server that does not take the build at once (stopped, or busy with another build)
            # leaves it to this process, which waits for the other build as builds do.
            sock.settimeout(_ANSWER_SECONDS)
            sock.connect(path)
            if not peer_is_me(sock):
                return None
            here = _here()
            if here is None:
                return None  # the working folder is gone: the build here says so
            _send(sock, ("build", list(argv), _terminal(sys.stdout), _terminal(sys.stderr), _columns(), here))
            if _receive(sock) != ("taken",):
                return None
            sock.settimeout(None)
        except OSError:
            return None  # a socket left by a server that is gone, one that went, or a busy one: built here
        except KeyboardInterrupt:  # the server, if it took the build, ends it as interrupted
            sys.stderr.write("interrupted: nothing was changed\n")
            return 130
        return _follow(sock)
    finally:
        sock.close()


def _follow(sock) -> int:
    """Print what the server's build prints until it ends; pass Ctrl-C on to it."""
    interrupted = False
    while True:
        try:
            message = _receive(sock)
            if message is None or not _well_formed(message):
                sys.stderr.write("error: the build server stopped during the build: run `deckgen build` again "
                                 "(nothing is lost: a build that did not finish changes nothing)\n")
                return 1
            if message[0] == "exit":
                return message[1]
            stream = sys.stdout if message[0] == "out" else sys.stderr
            try:
                stream.write(message[1])
                stream.flush()
            except BrokenPipeError:  # whoever read the output has gone; the build goes on
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so that the exit flushes nothing)
                return 1
        except KeyboardInterrupt:
            if interrupted:  # a second Ctrl-C: stop waiting (the server still ends the build safely)
                sys.stderr.write("interrupted\n")
                return 130
            interrupted = True
            try:
                _send(sock, ("interrupt",))
            except OSError:
                pass
        except OSError as exc:
            sys.stderr.write(f"error: lost the build server during the build: {exc.strerror or exc}\n")
            return 1


def _well_formed(message: tuple) -> bool:
    kind = message[0]
    if kind == "exit":
        return len(message) == 2 and type(message[1]) is int
    return kind in ("out", "err") and len(message) == 2 and type(message[1]) is str


def _private(folder: str) -> bool:
    """Whether only this user may open `folder` (where a server's socket may be)."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


def _columns() -> int:
    """The width of the client's terminal (0 if it is not one)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _terminal(stream) -> bool:
    """Whether `stream` is a terminal that can redraw a line (progress.on_terminal's test, which
    imports more than a client needs)."""
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


# --- the server: `deckgen server` ------------------------------------------------------------


def code_files() -> list[str]:
    """The files whose change makes a server stale: deckgen's code and templates (which a process
    reads once), every module it has imported, and every folder on the path (installing a
    package changes its folder)."""
    from deckgen.notetype import templates_dir

    found = {path for _, path in inputs._code_files(inputs.PACKAGE, "")}
    for folder, _, files in os.walk(templates_dir()):
        found.update(os.path.join(folder, name) for name in files)
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.isfile(file):
            found.add(file)
    # Not the checkout deckgen runs from (on the path as the folder of build_deck.py, or of an
    # editable install): its code is stamped file by file above, and a build writing its output
    # there (`dist/`) changes the folder.
    checkout = os.path.dirname(inputs.PACKAGE)
    if not os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        checkout = None
    found.update(folder for folder in sys.path
                 if folder and os.path.isdir(folder) and os.path.realpath(folder) != checkout)
    return sorted(found)


def code_stamps(files: list[str]) -> list[tuple]:
    """The stamps of `files` (see code_files): a write, or a file put in a file's place, changes
    its ctime, which no tool can set back."""
    found = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            found.append((path,))
            continue
        found.append((path, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
    return found


def _private_folder(folder: str) -> None:
    """Make `folder` (for the socket) if need be, and check that only this user can open it."""
    from deckgen.errors import DeckgenError

    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not _private(folder):
        raise DeckgenError(f"{folder}: error: others may open this folder: the build server keeps its socket only "
                          "in a folder of yours alone (chmod 700 it)")


def listen(path: str):
    """The listening socket at `path`, replacing one a server that is gone left there."""
    import socket

    from deckgen.errors import DeckgenError

    _private_folder(os.path.dirname(path))
    if len(os.fsencode(path)) > 100:
        raise DeckgenError(f"{path}: error: this path is too long for a socket: set DECKGEN_CACHE to a shorter folder")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        pass  # none listening: a socket left by a server that was killed is replaced
    else:
        raise DeckgenError(f"error: a build server already serves builds in {os.getcwd()}")
    finally:
        probe.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(8)
    return sock


def peer_is_me(conn) -> bool:
    """Whether the process at the other end runs as this user (Linux tells; elsewhere the
    socket's folder is the only way in)."""
    import _socket  # see hand_off

    if not hasattr(_socket, "SO_PEERCRED"):
        return True
    _, uid, _ = struct.unpack("3i", conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid == os.getuid()


def serve(echo) -> None:
    """Take the builds `deckgen build` hands off in this folder until Ctrl-C (as `deckgen watch`
    does, it says "stopped"); a server that cannot start here raises DeckgenError.

    No handler of its own for SIGTERM: the parse workers a build forks would inherit it, and
    they must end when their pool ends them. A server killed so leaves its socket behind, which
    the next one replaces (see listen)."""
    import socket

    from deckgen.build import keep_in_memory
    from deckgen.errors import DeckgenError

    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "getuid"):
        raise DeckgenError("error: the build server needs Unix sockets (Linux, macOS): build with `deckgen build`")
    from deckgen.cache import store_later, write_stored

    _warm_imports()
    keep_in_memory()
    store_later()  # the parses a build made are written once it is answered
    # Python's cycle collector walks every object the server holds (tokens, notes, the lock) as
    # often as a build makes new ones: 30-100 ms of each rebuild of 1,000 notes. It runs only
    # while the server waits instead (see _read_ahead); what a build frees, it frees at once.
    gc.disable()
    files = code_files()
    started = (code_stamps(files), _here())
    path = address()
    sock = listen(path)
    bound = os.stat(path).st_ino
    echo(f"serving builds in {os.getcwd()}: `deckgen build` run here hands its work to this process "
         "(Ctrl-C stops it)")
    try:
        while True:
            conn, _ = sock.accept()
            try:
                if not _Request(conn, echo).serve(files, started):
                    return
            finally:
                conn.close()
                write_stored()
            _read_ahead(sock, echo)
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        sock.close()
        write_stored()
        try:
            if os.stat(path).st_ino == bound:
                os.unlink(path)
        except OSError:
            pass


_READ_AHEAD_AFTER = 1.0
"""How long the server waits after a build before it reads ahead: a build that comes sooner (a
script's, one after another) does not wait for a file being read."""


def _read_ahead(sock, echo) -> None:
    """Until the next build comes, parse the files of the last one that the server holds no
    tokens of (see build.read_ahead), once no build came for _READ_AHEAD_AFTER seconds; then
    collect the reference cycles left behind."""
    import select
    import traceback

    from deckgen.build import read_ahead

    if select.select([sock], [], [], _READ_AHEAD_AFTER)[0]:
        return  # the next build is here: the files are read ahead after it

    def pending() -> bool:
        return bool(select.select([sock], [], [], 0)[0])

    try:
        read_ahead(pending)
    except Exception:  # noqa: BLE001 (a bug: shown here; the next build reads the file itself)
        echo(traceback.format_exc().rstrip())
    if not pending():
        gc.collect()  # the reference cycles the builds left (see serve)


def _here() -> tuple[int, int] | None:
    """The working folder, as the file system knows it (None if it is gone)."""
    try:
        st = os.stat(".")
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _warm_imports() -> None:
    """Import what every build needs, so that the first one handed off does not."""
    import genanki  # noqa: F401

    import deckgen.build  # noqa: F401
    import deckgen.cli  # noqa: F401
    import deckgen.package  # noqa: F401
    import deckgen.parse  # noqa: F401


class _Request:
    """One `deckgen build` handed off: run here, its output sent back as it is printed."""

    def __init__(self, conn, echo) -> None:
        import threading

        self.conn, self.echo = conn, echo
        self.lock = threading.Lock()
        self.running = False
        self.interrupted = False
        self.gone = False

    def serve(self, files: list[str], started: tuple) -> bool:
        """Run the request; False when the server should stop (its code or folder changed)."""
        import shlex
        import time

        if not peer_is_me(self.conn):
            return True
        try:
            self.conn.settimeout(_ANSWER_SECONDS)  # a client that sends nothing is not waited for
            request = _receive(self.conn)
            self.conn.settimeout(None)
        except OSError:
            return True
        if not _well_formed_request(request):
            return True
        _, argv, out_tty, err_tty, columns, folder = request
        stamps, here = started
        if code_stamps(files) != stamps or _here() != here or tuple(folder) != here:
            self._say(("declined",))
            if tuple(folder) == here:
                self.echo("deckgen changed on disk since this server started: stopping (start `deckgen server` again)")
            else:
                self.echo("this folder is not the one the server started in (moved, or made again): stopping")
            return False
        self._say(("taken",))
        if self.gone or _closed(self.conn):
            return True  # the client gave up waiting (see hand_off) and builds itself
        began = time.perf_counter()
        code = self._run(argv, out_tty, err_tty, columns)
        took = time.perf_counter() - began
        from deckgen.cli import _shown

        self.echo(_shown(f"{time.strftime('%H:%M:%S')} deckgen {shlex.join(argv)}: exit {code} in {took:.2f} s"
                         + (" (interrupted)" if self.interrupted else "")))
        self._say(("exit", code))
        return True

    def _run(self, argv: list[str], out_tty: bool, err_tty: bool, columns: int) -> int:
        import contextlib
        import socket
        import threading

        listener = threading.Thread(target=self._listen, daemon=True)
        ended: list[int] = []
        try:
            with contextlib.redirect_stdout(_Stream(self, "out", out_tty, columns)), \
                    contextlib.redirect_stderr(_Stream(self, "err", err_tty, columns)):
                try:
                    with self.lock:
                        self.running = True
                    listener.start()
                    _cli(argv, ended)
                finally:
                    with self.lock:
                        self.running = False
        except KeyboardInterrupt:  # the client's Ctrl-C, come before the command began or as it ended
            if not self.interrupted:
                raise
            if not ended:
                self._say(("err", "interrupted: nothing was changed\n"))
                ended.append(130)
        with self.lock:  # again: the Ctrl-C may have come while the `finally` above waited for the lock
            self.running = False
        code = ended[0] if ended else 1
        try:
            self.conn.shutdown(socket.SHUT_RD)  # the listener stops
        except OSError:
            pass
        return code

    def _listen(self) -> None:
        """Pass the client's Ctrl-C (or its going away) on to the build as a Ctrl-C here: a
        signal to the main thread, which also ends a wait for the parse workers."""
        import signal
        import threading

        main = threading.main_thread().ident
        while True:
            try:
                message = _receive(self.conn)
            except OSError:
                message = None
            with self.lock:
                if not self.running:
                    return
                if message is None and self.interrupted:
                    return  # the client's second Ctrl-C: the first one is being taken already
                if message is None or message[0] == "interrupt":
                    self.interrupted = True
                    signal.pthread_kill(main, signal.SIGINT)
                if message is None:
                    return

    def _say(self, message: tuple) -> None:
        with self.lock:
            if self.gone:
                return
            try:
                _send(self.conn, message)
            except OSError:
                self.gone = True  # the client went: the build goes on to its end


class _Stream:
    """sys.stdout or sys.stderr of a build handed off: text sent to the client as it is written."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, request: _Request, kind: str, tty: bool, columns: int) -> None:
        self.request, self.kind, self.tty = request, kind, tty
        self.columns = columns
        """The width of the client's terminal (0: not one), for the progress line."""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream")  # click tells a text stream from a binary one so
        if text:
            self.request._say((self.kind, text))
        return len(text)

    def isatty(self) -> bool:
        return self.tty

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        pass


def _cli(argv: list[str], ended: list[int]) -> None:
    """Run the command line `deckgen ARGV` here, as main() does; its exit status is put in
    `ended` as soon as it is known (a Ctrl-C may come just after)."""
    import traceback

    from deckgen import cli

    cli._command_line = list(argv)
    try:
        cli.cli.main(args=list(argv), prog_name="deckgen", standalone_mode=True)
        ended.append(0)
    except SystemExit as exc:
        ended.append(0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1)
    except Exception:  # noqa: BLE001 (a bug shows its traceback, as it would in the client; the server goes on)
        ended.append(1)
        traceback.print_exc()
    finally:
        cli._command_line = None


def _closed(conn) -> bool:
    """Whether the other end has closed the connection (it sends nothing else before then)."""
    import socket

    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _well_formed_request(request: tuple | None) -> bool:
    """A `deckgen build` command line with what the client tells of its terminal and folder."""
    if request is None or request[0] != "build" or len(request) != 6:
        return False
    _, argv, out_tty, err_tty, columns, folder = request
    return (isinstance(argv, list) and bool(argv) and argv[0] == "build" and all(type(a) is str for a in argv)
            and type(out_tty) is bool and type(err_tty) is bool and type(columns) is int
            and isinstance(folder, tuple) and len(folder) == 2 and all(type(n) is int for n in folder))
