"""Which files of a run folder peakend wrote, and how peakend reads a folder's files back.

**Ownership.** A folder's contents prove nothing by themselves: a copied
``manifest.json``, or a one-line forgery with a ``peakend_version`` key, looks
like peakend's. So the manifest carries a *ledger*: under ``files``, every file
peakend wrote in the folder (its path relative to the folder, in ``/`` form)
with its size and SHA-256::

    "files": {"summary.json": {"bytes": 1893, "sha256": "9f2c..."}, ...}

The ledger is written with the manifest, last and atomically, when the
process that claimed the folder (:class:`~peakend.store.rundir.RunDirectory`)
lets it go. While a folder is claimed, every file peakend writes in it is also
appended to a journal, ``.peakend-files`` (one JSON line per file: path, size,
SHA-256, recorded *before* the file is renamed into place), so that a process
killed mid-run (``kill -9``) leaves a folder whose every file is still
accounted for; the journal is folded into the manifest and removed when the
folder is let go.

peakend removes or overwrites a file in a folder it did not just create only
when that file is listed, with the same size and SHA-256, in the folder's
ledger (manifest or journal); a folder holding anything else (a file not
listed, or changed since, a symbolic link, a FIFO) is refused, naming it, and
nothing in it is touched. A ledger vouches only for the exact bytes it lists:
a copy of another run's manifest lists other files' hashes, so it vouches for
nothing here. (Someone who writes a manifest by hand with the SHA-256 of their
own file can make peakend treat that file as its own: the ledger guards
against accidents and copies, not against a user who wants the file gone.)

**Reading.** :func:`read_inside` reads one file of a folder under the rules
every reader of a result folder follows (``peakend report``, the results store):
a path relative to the folder with no ``..``; no symbolic link at any step (the
file is opened with ``O_NOFOLLOW``); a regular file (checked with ``fstat`` on
the open descriptor, opened with ``O_NONBLOCK``, so a FIFO cannot hang the
reader and a device is refused); at most a given size (checked before reading,
and the read stops one byte past it); and when the folder has a ledger, listed
in it with the same size and SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import threading
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

from peakend.base.errors import ConfigError

__all__ = [
    "JOURNAL_NAME",
    "OutputError",
    "LEDGER_KEY",
    "Entry",
    "Ledger",
    "active_ledger",
    "check_manifest",
    "clean_relative",
    "folder_problems",
    "read_inside",
    "recorded",
]

JOURNAL_NAME = ".peakend-files"
LEDGER_KEY = "files"
_MANIFEST = "manifest.json"
_LOCK = ".peakend.lock"
_UNLISTED = (_MANIFEST, _LOCK, JOURNAL_NAME)  # at the top: the ledger's own files
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
_MAX_NAMED = 3  # files named in one refusal


class OutputError(ConfigError):
    """An output folder that cannot be used; ``overwritable`` when overwriting would fix it.

    (Defined here, where the ownership checks raise it; ``peakend.store.rundir``
    re-exports it, its usual home.)
    """

    def __init__(self, path: str | Path, problem: str, overwritable: bool = False) -> None:
        remedy = "; choose another output folder, or overwrite it (overwrite=True)"
        super().__init__(f"{path}: {problem}{remedy if overwritable else ''}")
        self.path = Path(path)
        self.problem = problem
        self.overwritable = overwritable


def _refuse(path: str | Path, problem: str) -> NoReturn:
    raise OutputError(path, problem)


@dataclass(frozen=True)
class Entry:
    """What the ledger records of one file: size in bytes and SHA-256 (hex)."""

    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"bytes": self.size, "sha256": self.sha256}


def clean_relative(name: str) -> str | None:
    """``name`` as a clean relative ``/`` path inside a folder, or None if it is not one."""
    if not name or "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        return None
    return str(path)


# --------------------------------------------------------------------- the manifest


def check_manifest(data: Any, path: Path) -> dict[str, Any]:
    """``data`` (a parsed ``manifest.json``) if it has the layout peakend writes.

    Checks the keys peakend reads back: ``kind``, ``name``, ``identity``,
    ``peakend_version``, ``config_hash`` and ``status`` are strings when present;
    ``sessions``, ``scenarios`` and ``failures`` are lists of objects; a
    scenario's ``key`` is a short hexadecimal hash; ``files`` is a ledger (clean
    relative paths to ``{"bytes": n, "sha256": hex}``).

    Raises
    ------
    OutputError
        Naming the file and the key that is wrong.
    """
    if not isinstance(data, dict):
        _refuse(path, "not a JSON object: the file was changed, or it is not peakend's")
    for key in ("kind", "name", "identity", "peakend_version", "config_hash", "status"):
        if key in data and not isinstance(data[key], str):
            _refuse(path, f"key {key!r} is not text: the file was changed, or it is not peakend's")
    for key in ("sessions", "scenarios", "failures"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            _refuse(path, f"key {key!r} is not a list of objects: the file was changed")
    for spec in data.get("scenarios", []):
        if not isinstance(spec.get("key"), str) or not re.fullmatch(r"[0-9a-f]{1,64}", spec["key"]):
            _refuse(path, "a scenario's 'key' is not a hash peakend writes: the file was changed")
    if LEDGER_KEY in data:
        _parse_ledger(data[LEDGER_KEY], path)
    return data


def _parse_ledger(value: Any, path: Path) -> dict[str, Entry]:
    if not isinstance(value, dict):
        _refuse(path, f"key {LEDGER_KEY!r} is not an object: the file was changed")
    entries = {}
    for name, item in value.items():
        clean = clean_relative(name)
        size = item.get("bytes") if isinstance(item, dict) else None
        digest = item.get("sha256") if isinstance(item, dict) else None
        if (
            clean is None
            or not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
            or not isinstance(digest, str)
            or not _SHA256.match(digest)
        ):
            _refuse(path, f"{LEDGER_KEY}: entry {name[:80]!r} is not a file record peakend writes")
        entries[clean] = Entry(size, digest)
    return entries


def recorded(folder: Path, manifest: dict[str, Any] | None) -> dict[str, Entry] | None:
    """The folder's ledger: the manifest's ``files`` and the journal's later records.

    None when neither exists (a folder written before peakend kept a ledger, or
    not peakend's). The manifest must have passed :func:`check_manifest`.
    """
    found = None
    if manifest is not None and LEDGER_KEY in manifest:
        found = _parse_ledger(manifest[LEDGER_KEY], folder / _MANIFEST)
    journal = _journal_entries(folder / JOURNAL_NAME)
    if journal is not None:
        found = {**(found or {}), **journal}
    return found


_TEMPORARY = re.compile(r"^(.*/)?\.[^/]+\.[A-Za-z0-9_]{8}$")  # tempfile.mkstemp's names


def remove_temporaries(folder: Path, entries: dict[str, Entry]) -> None:
    """Remove the temporary files a killed process left: those the journal names, and
    ``.NAME.XXXXXXXX`` beside a listed file ``NAME`` or the manifest (a kill while the
    manifest or a report was being replaced), each with mkstemp's names."""
    for listed in sorted({*entries, _MANIFEST}):
        parent, _, base = listed.rpartition("/")
        if not _real_folders(folder, parent):
            continue  # never through a link to elsewhere
        here = folder / parent if parent else folder
        with contextlib.suppress(OSError):
            for path in here.glob(f".{glob_escape(base)}.*"):
                if _TEMPORARY.match(path.name) and stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()
    journal = folder / JOURNAL_NAME
    if not os.path.lexists(journal):
        return
    try:
        data = read_inside(folder, JOURNAL_NAME, 64 * 2**20)
    except (OSError, ConfigError):
        return
    for line in data.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError, OSError):
            item = json.loads(line)
            name = clean_relative(item["temporary"])
            if name and _TEMPORARY.match(name) and _real_folders(folder, name.rpartition("/")[0]):
                path = folder / name
                if stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()


def _real_folders(folder: Path, relative: str) -> bool:
    """Whether every step of ``folder/relative`` is a folder, not a link (``""``: True)."""
    step = folder
    for part in PurePosixPath(relative).parts:
        step = step / part
        if step.is_symlink() or not step.is_dir():
            return False
    return True


def _journal_entries(path: Path) -> dict[str, Entry] | None:
    """The journal's records, the latest of each path winning; None if there is none.

    Lines that are not records (a line torn by a kill) are skipped: each record
    is checked against the file's bytes anyway before it is trusted.
    """
    if not os.path.lexists(path):
        return None
    try:
        data = read_inside(path.parent, path.name, 64 * 2**20)
    except (OSError, ConfigError):  # an unreadable journal records nothing
        return None
    entries: dict[str, Entry] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            item = json.loads(line)
            if "temporary" in item:
                continue
            name = clean_relative(item["path"])
            size, digest = item["bytes"], item["sha256"]
            if name and isinstance(size, int) and isinstance(digest, str) and _SHA256.match(digest):
                entries[name] = Entry(size, digest)
    return entries


# ------------------------------------------------------------------ checking a folder


def digest(path: Path) -> Entry | None:
    """Size and SHA-256 of the regular file at ``path`` (not following a link), or None
    when it is not a regular file."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        return None
    with os.fdopen(handle, "rb") as file:
        sha, size = hashlib.sha256(), 0
        while chunk := file.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return Entry(size, sha.hexdigest())


def folder_problems(
    folder: Path,
    entries: dict[str, Entry] | None,
    check_content: bool = True,
    temporaries: frozenset[str] = frozenset(),
) -> list[str]:
    """What in ``folder`` peakend did not write, in words (empty: every file is its own).

    Walks the folder without following links: every entry but the manifest, the
    lock and the journal at the top, and the ``temporaries`` this process has
    journalled and is still writing, must be a folder or a regular file listed in
    ``entries`` with the same size and (``check_content``) SHA-256.
    """
    problems: list[str] = []
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                problems.append(f"{_shown(folder, here / name)} (a symbolic link)")
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if (here == folder and name in _UNLISTED) or relative in temporaries:
                continue
            problems.extend(_file_problem(path, relative, entries, check_content))
    return problems


def _file_problem(
    path: Path, relative: str, entries: dict[str, Entry] | None, check_content: bool
) -> list[str]:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return [f"{relative} (a symbolic link)"]
    if not stat.S_ISREG(mode):
        return [f"{relative} (not a regular file)"]
    entry = (entries or {}).get(relative)
    if entry is None:
        return [f"{relative} (not written by peakend)"]
    if path.stat().st_size != entry.size or (check_content and digest(path) != entry):
        return [f"{relative} (changed since peakend wrote it)"]
    return []


def _shown(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def describe_problems(problems: list[str]) -> str:
    """The first few problems and how many more, for one line."""
    named = ", ".join(problems[:_MAX_NAMED])
    more = len(problems) - _MAX_NAMED
    return named + (f" and {more} more" if more > 0 else "")


# ------------------------------------------------------------------- a claimed folder


class Ledger:
    """The ledger of a folder claimed by this process: files written are recorded here.

    Created by :class:`~peakend.store.rundir.RunDirectory` once the folder's
    files are checked; :func:`active_ledger` finds it for a path, so that
    :func:`peakend.store.files.atomic_write` records every file written inside.
    """

    def __init__(self, root: Path, entries: dict[str, Entry]) -> None:
        self.root = Path(os.path.abspath(root))
        self.entries = dict(entries)
        self.temporaries: set[str] = set()
        """Temporary files journalled by this process (removed by it, or after a kill
        by the next process that claims the folder)."""
        self._lock = threading.Lock()

    def start_journal(self) -> None:
        """Write the journal afresh with every entry (kill -9 from here on loses none)."""
        lines = "".join(_journal_line(name, entry) for name, entry in self.entries.items())
        journal = self.root / JOURNAL_NAME
        journal.unlink(missing_ok=True)
        handle = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(lines)

    def relative(self, path: Path) -> str | None:
        """``path`` relative to the folder (``/`` form), or None when it lies outside."""
        absolute = Path(os.path.abspath(path))
        if absolute == self.root or self.root not in absolute.parents:
            return None
        return absolute.relative_to(self.root).as_posix()

    def check_target(self, path: Path) -> None:
        """Refuse to write ``path`` through a symbolic link, or over a file not peakend's.

        Raises
        ------
        OutputError
            When a folder on the way is a link (a ``replications`` link to elsewhere)
            or ``path`` exists and is not a regular file listed in the ledger with
            its size (every listed file was checked by hash when the folder was
            claimed).
        """
        relative = self.relative(path)
        if relative is None:
            return
        step = self.root
        for part in PurePosixPath(relative).parts[:-1]:
            step = step / part
            if step.is_symlink() or (step.exists() and not step.is_dir()):
                _refuse(self.root, f"{_shown(self.root, step)} is a link or a file, not a folder")
        try:
            info = path.lstat()
        except FileNotFoundError:
            return
        entry = self.entries.get(relative)
        if relative == _MANIFEST and stat.S_ISREG(info.st_mode):
            return  # checked and parsed when the folder was claimed
        if not stat.S_ISREG(info.st_mode) or entry is None or entry.size != info.st_size:
            _refuse(
                self.root,
                f"refusing to overwrite {relative}: peakend did not write it (or it changed "
                "since); move it away",
            )

    def note_temporary(self, tmp: Path) -> None:
        """Journal a temporary file before it is written (a kill may leave it behind)."""
        relative = self.relative(tmp)
        if relative is not None:
            self._append(json.dumps({"temporary": relative}) + "\n")
            with self._lock:
                self.temporaries.add(relative)

    def _append(self, line: str) -> None:
        with self._lock:
            journal = self.root / JOURNAL_NAME
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
            handle = os.open(journal, flags, 0o644)
            try:
                os.write(handle, line.encode())
            finally:
                os.close(handle)

    def record(self, path: Path, written: Path) -> None:
        """Record that ``written`` (a temporary file) is about to become ``path``."""
        relative = self.relative(path)
        if relative is None or relative in _UNLISTED:
            return
        entry = digest(written)
        if entry is None:
            return
        self._append(_journal_line(relative, entry))
        with self._lock:
            self.entries[relative] = entry

    def forget(self, relative: str) -> None:
        with self._lock:
            self.entries.pop(relative, None)

    def current(self) -> dict[str, Entry]:
        """Entries whose files still exist (a removed ``errors.log`` drops out)."""
        return {
            name: entry
            for name, entry in sorted(self.entries.items())
            if (self.root / name).is_file() and not (self.root / name).is_symlink()
        }


def _journal_line(name: str, entry: Entry) -> str:
    return json.dumps({"path": name, **entry.as_dict()}, sort_keys=True) + "\n"


_ACTIVE: dict[Path, Ledger] = {}
_ACTIVE_LOCK = threading.Lock()


def register(ledger: Ledger) -> None:
    with _ACTIVE_LOCK:
        _ACTIVE[ledger.root] = ledger


def unregister(ledger: Ledger) -> None:
    with _ACTIVE_LOCK:
        if _ACTIVE.get(ledger.root) is ledger:
            del _ACTIVE[ledger.root]


def active_ledger(path: Path) -> Ledger | None:
    """The ledger of the claimed folder that ``path`` lies in, if any."""
    absolute = Path(os.path.abspath(path))
    with _ACTIVE_LOCK:
        for parent in absolute.parents:
            if parent in _ACTIVE:
                return _ACTIVE[parent]
    return None


# ------------------------------------------------------------------------- reading


def read_inside(
    folder: Path, name: str, limit: int, entries: dict[str, Entry] | None = None
) -> bytes:
    """The bytes of ``folder/name`` under the reading rules of the module docstring.

    ``limit`` is the largest size accepted, in bytes. With ``entries`` (the
    folder's ledger), the file must be listed there with the same size and SHA-256.

    Raises
    ------
    OutputError
        Naming the file and what is wrong with it (outside the folder, a link, not
        a regular file, too large, not listed, changed); nothing of its content.
    """
    relative = clean_relative(name)
    if relative is None:
        _refuse(folder / name, "not a file inside the folder (no '..' and no absolute path)")
    path = folder / relative
    step = folder
    for part in PurePosixPath(relative).parts[:-1]:
        step = step / part
        if step.is_symlink() or not step.is_dir():
            _refuse(path, f"{_shown(folder, step)} is not a folder inside {folder}")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        what = "a symbolic link" if path.is_symlink() else (exc.strerror or "unreadable")
        _refuse(path, f"cannot be read ({what}); peakend reads only regular files it wrote")
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(handle)
        if not stat.S_ISREG(info.st_mode):
            _refuse(
                path, "not a regular file (a folder, FIFO, device or socket); refusing to read it"
            )
        _refuse(path, f"{info.st_size:,} bytes, above the {limit:,} a file here may have")
    with os.fdopen(handle, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        _refuse(path, f"grew above the {limit:,} bytes a file here may have")
    if entries is not None:
        entry = entries.get(relative)
        if entry is None:
            _refuse(path, "not listed in the folder's manifest.json: peakend did not write it")
        if entry.size != len(data) or hashlib.sha256(data).hexdigest() != entry.sha256:
            _refuse(path, "changed since peakend wrote it (its size or SHA-256 differs)")
    return data
