"""``venvkeeper check`` reports kept by the identity of every input they were made from: the warm path.

Why: a whole ``venvkeeper check`` process spends most of its time importing (``packaging``, the
checks, discovery) before it reads a file; VS Code's ``installed_check.py`` approach pays less. Like
ruff's and mypy's caches, a report is kept with the identities of what it was made from, and a later
run with the same command line replays it when not one of those identities changed. This module is
that replay, and it imports only the standard library before it decides hit or miss (``json`` and
``hashlib`` then, and only when an entry exists) — not ``fsread`` (it imports ``logging``), not
``platformdirs`` (~25 ms with ``pathlib``: the cache dir is worked out below the same way).

What an entry's identity covers (see :mod:`venvkeeper.reportrecord` for how the cold run collects it):

* the **key**, the entry's file name: this format, venvkeeper's version, the Python running it
  (``sys.version``, executable, prefix), the platform, the working directory, the whole command line
  (paths, ``--output-format``, ``--select``…) and the output streams' encodings;
* the **environment**: every variable the run read, plus the ones that place the user dirs
  (:data:`FIXED_ENV`), as one keyed BLAKE2 digest of their values — a value is never stored, and the
  key is a random per-cache salt, so a short secret cannot be guessed offline from the cache;
* the **inputs**: every file the run opened, every directory it listed, every path it asked about
  (fsread's stat probes), the parent directory of each (a file appearing or vanishing next to one
  changes the parent's mtime: a new ``.venv``, a dist-info written by ``pip install``), and the source
  files of venvkeeper and its non-stdlib imports — each as (st_mode, st_dev, st_ino, st_size,
  st_mtime_ns, st_ctime_ns), or the errno its ``stat`` raised.

Any doubt is a miss: no entry, a bad or foreign one (read like any hostile file: regular file only,
bounded size, bad JSON), another key, another environment digest, one identity that differs.
``VENVKEEPER_NO_CACHE=1`` or ``--no-cache`` turns the cache off; entries live in ``reports/`` under
the user cache dir, or in ``VENVKEEPER_CACHE_DIR``.
Nothing is ever written into a project: entries live in the user cache dir, written atomically.
"""

from __future__ import annotations

import os
import stat
import sys

from venvkeeper import __version__

#: ``typing`` costs ~6 ms to import; type checkers read this name as ``typing.TYPE_CHECKING``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Optional, TextIO

#: Bump when the entry's layout or what it covers changes: older entries then simply miss.
FORMAT = 1
#: An entry larger than this is neither written nor read (200 projects x 300 dists is ~10 MB).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
#: The cache keeps at most this many entries and bytes; the least recently written go first.
MAX_ENTRIES = 64
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: A temp file older than this is a crashed writer's: removed when the cache is pruned.
STALE_TEMP_S = 3600
SALT_FILE = "salt"
SALT_BYTES = 32
ENTRY_PREFIX = "check-"
TEMP_PREFIX = ".tmp-"

#: Variables read outside ``Host.environ`` on the way to a report: ``Path.home()`` and platformdirs
#: (the state dir with the user's env selections) read ``os.environ`` themselves.
FIXED_ENV = (
    "APPDATA",
    "HOME",
    "LOCALAPPDATA",
    "USERPROFILE",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
)
#: Stands for "every variable" in an entry's list: the run iterated over the environment.
ALL_ENV = "*"

_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as an entry opens at once instead of blocking
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def identity(path: str) -> list[int]:
    """What must not change for a report made from ``path`` to still hold (stat follows links)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return [-1, exc.errno or 0]
    except ValueError:  # an embedded NUL: never openable either
        return [-2]
    return [st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def default_cache_dir(environ: Mapping[str, str]) -> str:
    """``platformdirs.user_cache_dir("venvkeeper", appauthor=False)``, without importing it on POSIX.

    A unit test holds the two equal. On Windows (where it asks the shell API) platformdirs is used.
    """
    if sys.platform == "win32":
        import platformdirs

        return platformdirs.user_cache_dir("venvkeeper", appauthor=False)
    home = environ.get("HOME") or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "venvkeeper")
    base = environ.get("XDG_CACHE_HOME", "")
    return os.path.join(base if base.strip() else os.path.join(home, ".cache"), "venvkeeper")


def cache_disabled(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    return environ.get("VENVKEEPER_NO_CACHE", "") not in ("", "0") or "--no-cache" in argv


def plan(argv: Sequence[str], environ: Mapping[str, str], cache_dir: Optional[str] = None) -> Optional[Plan]:
    """The cache entry for this command line, or None when the cache does not apply to it.

    Only ``check`` is cached, and not when asked for help or told not to.
    """
    if not argv or argv[0] != "check" or cache_disabled(argv, environ):
        return None
    if any(a in ("-h", "--help") for a in argv[1:]):
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed: relative paths mean nothing
        return None
    # A dir of its own: Host.cache_dir is the user cache dir too, and a run could list it.
    where = (
        cache_dir
        or environ.get("VENVKEEPER_CACHE_DIR")
        or os.path.join(default_cache_dir(environ), "reports")
    )
    return Plan(list(argv), environ, cwd, os.path.abspath(where))


class Plan:
    """One command line's entry: replay it (:meth:`replay`) or keep a fresh report (:meth:`store`)."""

    def __init__(self, argv: list[str], environ: Mapping[str, str], cwd: str, cache_dir: str) -> None:
        import hashlib

        self.argv = argv
        self.environ = environ
        self.cwd = cwd
        self.cache_dir = cache_dir
        parts = [f"venvkeeper check cache {FORMAT}", __version__, sys.version, sys.executable]
        parts += [sys.prefix, sys.platform, cwd, *argv]
        # a report the cold run could encode is replayed through streams that encode it the same way
        parts += [
            f"{getattr(s, 'encoding', None)}/{getattr(s, 'errors', None)}" for s in (sys.stdout, sys.stderr)
        ]
        raw = "\0".join(parts).encode("utf-8", "surrogateescape")
        #: compared in full on replay: a file-name collision is a miss, never another command's report
        self.key = hashlib.blake2b(raw, digest_size=32).hexdigest()
        self.path = os.path.join(cache_dir, f"{ENTRY_PREFIX}{self.key[:32]}.json")

    # -- replay -----------------------------------------------------------------------------------
    def replay(self, out: TextIO, err: TextIO) -> Optional[int]:
        """Write the kept report and return its exit status when every identity still holds, else None."""
        entry = self._load()
        if entry is None:
            return None
        salt = self._salt()
        if salt is None or entry["env_digest"] != env_digest(salt, entry["env"], self.environ):
            return None
        for path, ident in entry["inputs"]:
            if identity(path) != ident:
                return None
        try:
            if entry["stderr"]:
                err.write(entry["stderr"])
                err.flush()
            out.write(entry["stdout"])
            out.flush()
        except OSError as exc:  # as the cold run reports it (cli.write_stdout)
            discard_output(out)
            print(
                f"venvkeeper check: error: cannot write to standard output: {exc.strerror or exc}", file=err
            )
            return 2
        status: int = entry["status"]
        return status

    def _load(self) -> Optional[dict[str, Any]]:
        data = read_capped(self.path, MAX_ENTRY_BYTES)
        if data is None:
            return None
        import json

        try:
            entry = json.loads(data)
        except (ValueError, RecursionError):
            return None
        return entry if _well_formed(entry, self.key) else None

    def _salt(self, create: bool = False) -> Optional[bytes]:
        path = os.path.join(self.cache_dir, SALT_FILE)
        salt = read_capped(path, SALT_BYTES)
        if salt is not None and len(salt) == SALT_BYTES:
            return salt
        if not create:
            return None
        write_atomic(self.cache_dir, path, os.urandom(SALT_BYTES))
        salt = read_capped(path, SALT_BYTES)  # another writer may have won: use the file's salt
        return salt if salt is not None and len(salt) == SALT_BYTES else None

    # -- store ------------------------------------------------------------------------------------
    def store(
        self,
        *,
        env_names: Sequence[str],
        inputs: Iterable[tuple[str, list[int]]],
        stdout: str,
        stderr: str,
        status: int,
    ) -> bool:
        """Keep a report; False (nothing kept) when it cannot be, or is too big to be worth it."""
        import json

        try:
            os.makedirs(self.cache_dir, mode=0o700, exist_ok=True)
            salt = self._salt(create=True)
            if salt is None:
                return False
            entry = {
                "format": FORMAT,
                "key": self.key,
                "env": list(env_names),
                "env_digest": env_digest(salt, env_names, self.environ),
                "inputs": [[p, i] for p, i in inputs],
                "stdout": stdout,
                "stderr": stderr,
                "status": status,
            }
            data = json.dumps(entry, separators=(",", ":")).encode("ascii")
            if len(data) > MAX_ENTRY_BYTES:
                return False
            write_atomic(self.cache_dir, self.path, data)
            prune(self.cache_dir, keep=self.path)
        except OSError:
            return False
        return True


def env_digest(salt: bytes, names: Sequence[str], environ: Mapping[str, str]) -> str:
    """A keyed digest of the named variables' values (absent and empty differ); ``*``: all of them."""
    import hashlib

    digest = hashlib.blake2b(key=salt, digest_size=32)
    chosen = sorted(environ) if list(names) == [ALL_ENV] else names
    for name in chosen:
        value = environ.get(name)
        field = f"{name}\0{'-' if value is None else '=' + value}\0"
        digest.update(field.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _well_formed(entry: object, key: str) -> bool:
    """The entry is ours, for this key, and every field has the type the replay relies on."""
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        return False
    env, inputs = entry.get("env"), entry.get("inputs")
    if entry.get("status") not in (0, 1) or type(entry.get("status")) is not int:
        return False
    if not isinstance(entry.get("stdout"), str) or not isinstance(entry.get("stderr"), str):
        return False
    if (
        not isinstance(entry.get("env_digest"), str)
        or not isinstance(env, list)
        or not isinstance(inputs, list)
    ):
        return False
    if not all(isinstance(n, str) for n in env):
        return False
    for item in inputs:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return False
        if not (isinstance(item[1], list) and all(type(v) is int for v in item[1])):
            return False
    return True


# -- files ---------------------------------------------------------------------------------------
def read_capped(path: str, cap: int) -> Optional[bytes]:
    """A regular file's bytes, or None: not there, not regular (a FIFO, a link), larger than ``cap``."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return None if left <= 0 else b"".join(chunks)  # it grew past the cap while being read
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(directory: str, path: str, data: bytes) -> None:
    """Write a temp file (mode 0600) and rename it over ``path``: a reader sees all or nothing."""
    tmp = os.path.join(directory, f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def prune(directory: str, keep: str) -> None:
    """Bound the cache: at most :data:`MAX_ENTRIES` entries and :data:`MAX_TOTAL_BYTES`, oldest out first."""
    import time

    entries: list[tuple[int, int, str]] = []
    now = time.time()
    with os.scandir(directory) as it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if e.name.startswith(TEMP_PREFIX) and now - st.st_mtime > STALE_TEMP_S:
                _unlink(e.path)
            elif e.name.startswith(ENTRY_PREFIX) and e.path != keep:
                entries.append((st.st_mtime_ns, st.st_size, e.path))
    entries.sort(reverse=True)  # newest first
    total = sum(size for _, size, _ in entries)
    while entries and (len(entries) >= MAX_ENTRIES or total > MAX_TOTAL_BYTES):
        _, size, path = entries.pop()
        total -= size
        _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def discard_output(out: TextIO) -> None:
    """Point ``out``'s descriptor at the null device after a write to it failed, so the interpreter's
    final flush cannot fail a second time (the replay here and cli's writes both use it)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
