"""Run directories: safe folder names, who a folder belongs to, overwriting, and a lock.

A run (``peakend run``, a comparison, a sweep) writes into a folder that is

- **new** (missing or empty), or
- **its own**: it holds a run of the same thing (a resume), recognised by the
  ``kind`` and ``identity`` fields of its ``manifest.json`` (the config hash of a
  run, the experiment's name and base scenario key of an experiment), or
- **replaced**, when the caller asks to overwrite a folder that holds a peakend
  run (another one, or the same one to start afresh): the old run's files are
  removed first, so the folder never holds a mix of two runs.

A folder that is not a peakend run directory (files but no readable peakend
manifest) is never overwritten. Nor is anything in a folder that peakend did
not write: before a folder is resumed or replaced, every file in it must be
listed in its manifest's ledger with the same size and SHA-256 (see
:mod:`peakend.store.ledger`); a forged or copied manifest, a user's file added
beside a run's, a changed file, a symbolic link or a FIFO is refused, naming
it, and nothing is removed. While a run uses its folder it holds a lock
file (``.peakend.lock``, created with ``O_CREAT | O_EXCL``, holding the PID and
host); a second process on the same folder is refused with the PID of the
first; a lock left by a process that no longer exists on this host is removed.

Every problem is an :class:`OutputError` (a
:class:`~peakend.config.loading.ConfigError`) naming the folder, raised before
anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from peakend.base.errors import ConfigError
from peakend.base.names import safe_name
from peakend.store import ledger
from peakend.store.ledger import OutputError

__all__ = [
    "LOCK_NAME",
    "OutputError",
    "RunDirectory",
    "RunIdentity",
    "add_to_run",
    "check_writable",
    "safe_name",
]

LOCK_NAME = ".peakend.lock"
MANIFEST_NAME = "manifest.json"
_FRESH_LOCK_SECONDS = 5.0  # a lock this young may still be getting its PID written

Status = Literal["new", "resume", "overwrite"]


@dataclass(frozen=True)
class RunIdentity:
    """What a folder holds: its ``kind`` (run, compare, sweep) and identity ``key``.

    ``name`` is for messages; two identities are equal when kind and key are.
    """

    kind: str
    name: str = field(compare=False)
    key: str = ""

    def manifest_fields(self) -> dict[str, str]:
        """The fields a manifest carries so that the folder can be recognised."""
        return {"kind": self.kind, "name": self.name, "identity": self.key}

    def describe(self) -> str:
        return f"{self.kind} of {self.name!r} ({self.key})"


def check_writable(path: str | Path) -> None:
    """Refuse a path that cannot become a run folder; creates nothing.

    Raises
    ------
    OutputError
        When ``path`` is an existing file, or it or its nearest existing parent is
        not a writable folder.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(target, "exists and is not a folder")
    existing = target
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(target, f"{existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(target, f"cannot write in {existing}: permission denied")


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name != LOCK_NAME] if folder.is_dir() else []


_MANIFEST_LIMIT = 64 * 2**20  # bytes; a manifest of 10,000 scenarios is a few MB


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest if it is peakend's (None if missing, unreadable or foreign).

    Raises
    ------
    OutputError
        For a peakend manifest whose layout was changed (see
        :func:`peakend.store.ledger.check_manifest`).
    """
    try:
        text = ledger.read_inside(folder, MANIFEST_NAME, _MANIFEST_LIMIT).decode("utf-8")
        data = json.loads(text)
    except (OSError, ConfigError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or "peakend_version" not in data:
        return None
    return ledger.check_manifest(data, folder / MANIFEST_NAME)


def held_identity(manifest: dict[str, Any]) -> RunIdentity | None:
    """The identity recorded in a manifest (runs written before identities: by config hash)."""
    if "identity" in manifest:
        return RunIdentity(
            str(manifest.get("kind")), str(manifest.get("name")), manifest["identity"]
        )
    if "config_hash" in manifest and "scenarios" not in manifest:
        return RunIdentity("run", str(manifest.get("scenario", "?")), manifest["config_hash"])
    return None


def inspect_folder(path: str | Path, identity: RunIdentity) -> Status:
    """``"new"`` or ``"resume"`` for a folder this run may use.

    Raises
    ------
    OutputError
        For a folder holding something else: another peakend run (``overwritable``)
        or files that are not a peakend run directory.
    """
    folder = Path(path)
    if not _entries(folder):
        return "new"
    manifest = _read_manifest(folder)
    if manifest is None:
        what = (
            "its manifest.json is unreadable or not peakend's"
            if (folder / MANIFEST_NAME).exists()
            else "it has no manifest.json"
        )
        raise OutputError(
            folder,
            f"not empty and not a peakend run directory ({what}); refusing to write into it "
            "or to delete it: choose another output folder",
        )
    held = held_identity(manifest)
    if held != identity:
        other = held.describe() if held is not None else "an unrecognised peakend run"
        raise OutputError(
            folder,
            f"holds another run ({other}), not this {identity.describe()}",
            overwritable=True,
        )
    return "resume"


class RunDirectory:
    """A run folder claimed for one run: checked, created, locked; a context manager.

    ``RunDirectory(path, identity, overwrite)`` checks nothing until entered;
    ``__enter__`` checks that the folder is writable, creates it, takes the lock
    and decides :attr:`status` (``new``, ``resume`` or ``overwrite``), releasing
    the lock again if the folder may not be used. A folder that is not new must
    hold only files its ledger lists, unchanged (checked by SHA-256); from then
    on every file written inside is recorded (:attr:`ledger`). :meth:`clear`
    removes the old run's files (for ``overwrite``, before writing anything new);
    leaving the context writes the ledger into the manifest (:meth:`seal`) and
    gives up the lock.
    """

    def __init__(self, path: str | Path, identity: RunIdentity, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.identity = identity
        self.overwrite = overwrite
        self.status: Status = "new"
        self._lock: Path | None = None
        self.ledger: ledger.Ledger | None = None
        """The files peakend wrote here, while the folder is claimed (see ``__enter__``)."""

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r}, {self.identity!r}, status={self.status!r})"

    def __enter__(self) -> Self:
        check_writable(self.path)
        created = [p for p in (self.path, *self.path.parents) if not p.exists()]
        _make_folder(self.path)
        try:
            self._lock = _acquire_lock(self.path / LOCK_NAME)
            self.status = self._decide()
            self._claim()
        except BaseException:
            self.release()
            for folder in created:  # innermost first: leave no trace of a refused run
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return self

    def _decide(self) -> Status:
        try:
            status = inspect_folder(self.path, self.identity)
        except OutputError as exc:
            if exc.overwritable and self.overwrite:
                return "overwrite"
            raise
        # Overwriting a run of the same thing starts it afresh (e.g. past a damaged store).
        return "overwrite" if status == "resume" and self.overwrite else status

    def _claim(self) -> None:
        """Check that every file here is peakend's, then record what this process writes."""
        entries: dict[str, ledger.Entry] = {}
        if self.status != "new":
            entries = self._checked_entries()
        self.ledger = ledger.Ledger(self.path, entries)
        if self.status != "new":
            self.ledger.start_journal()
        ledger.register(self.ledger)

    def _checked_entries(self) -> dict[str, ledger.Entry]:
        manifest = _read_manifest(self.path)
        entries = ledger.recorded(self.path, manifest)
        if entries is not None:
            ledger.remove_temporaries(self.path, entries)
        problems = ledger.folder_problems(self.path, entries)
        doing = "replace" if self.status == "overwrite" else "resume"
        if entries is None:
            listed = f" ({ledger.describe_problems(problems)})" if problems else ""
            raise OutputError(
                self.path,
                f"its manifest.json lists no files peakend wrote{listed}: a copied or forged "
                "manifest, or a run of an older peakend, so peakend cannot tell its files "
                f"from yours; refusing to {doing} it or delete anything: choose another output "
                "folder, or empty it yourself",
            )
        if problems:
            raise OutputError(
                self.path,
                f"holds files peakend did not write or that changed since: "
                f"{ledger.describe_problems(problems)}; refusing to {doing} it or delete "
                "anything: move them away (a changed result file: delete it, and peakend "
                "writes it again)",
            )
        return entries or {}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def clear(self) -> None:
        """Remove every file of the old run and the folders they leave empty (not the lock).

        Only files listed in the ledger (checked when the folder was claimed) are
        removed; a file that appeared since, or whose size changed, stops it first.

        Raises
        ------
        OutputError
            Naming a file that is not the old run's, or one that cannot be removed.
        """
        held = self.ledger.entries if self.ledger is not None else {}
        writing = frozenset(self.ledger.temporaries) if self.ledger is not None else frozenset()
        problems = ledger.folder_problems(self.path, held, False, writing)
        if problems:
            raise OutputError(
                self.path,
                f"holds files peakend did not write: {ledger.describe_problems(problems)}; "
                "refusing to delete anything: move them away",
            )
        names = [*held, MANIFEST_NAME, ledger.JOURNAL_NAME]
        for name in names:
            try:
                (self.path / name).unlink(missing_ok=True)
            except OSError as exc:
                raise OutputError(
                    self.path, f"cannot remove the old run's {name}: {exc.strerror}"
                ) from None
        for current, _dirs, _files in sorted(os.walk(self.path), reverse=True):
            if Path(current) != self.path:
                with contextlib.suppress(OSError):  # not empty: left alone
                    Path(current).rmdir()
        if self.ledger is not None:
            self.ledger.entries.clear()

    def temporary_file(self, name: str) -> Path:
        """A new empty file ``.NAME.XXXXXXXX`` in the folder, journalled as temporary as
        soon as it is made (as :func:`~peakend.store.files.atomic_write` journals its
        own): whoever writes it (another process, a worker), a kill leaves nothing that
        the next claim of the folder does not remove. The caller removes it when done
        (:meth:`remove_temporary`).

        Raises
        ------
        OutputError
            When the folder is not claimed by this process.
        """
        if self.ledger is None:
            raise OutputError(self.path, "the folder is not claimed: no temporary file here")
        from peakend.store.files import temporary_file  # pandas: not for every command

        return temporary_file(self.path, name)

    def remove_temporary(self, path: Path) -> None:
        """Remove a file of :meth:`temporary_file` (gone already: nothing to do)."""
        path.unlink(missing_ok=True)
        if self.ledger is not None:
            relative = self.ledger.relative(path)
            with contextlib.suppress(KeyError):
                self.ledger.temporaries.remove(relative or "")

    def seal(self) -> None:
        """Write the ledger into the manifest (atomically) and remove the journal."""
        if self.ledger is None:
            return
        manifest_path = self.path / MANIFEST_NAME
        try:
            manifest = _read_manifest(self.path)
        except OutputError:
            manifest = None
        if manifest is not None:
            files = {name: entry.as_dict() for name, entry in self.ledger.current().items()}
            if manifest.get(ledger.LEDGER_KEY) != files:  # a refused resume changes nothing
                manifest[ledger.LEDGER_KEY] = files
                text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
                _replace_text(manifest_path, text)
            (self.path / ledger.JOURNAL_NAME).unlink(missing_ok=True)

    def release(self) -> None:
        """Seal the ledger, then give up the lock (if this process still holds it)."""
        if self.ledger is not None:
            ledger.unregister(self.ledger)
            if self._lock is not None and _lock_owner(self._lock) == _me():
                self.seal()
            self.ledger = None
        if self._lock is not None:
            if _lock_owner(self._lock) == _me():
                self._lock.unlink(missing_ok=True)
            self._lock = None


def add_to_run(folder: str | Path, name: str, text: str, suffix: str = ".html") -> Path:
    """Write ``text`` as ``folder/name`` (e.g. a report) and add it to the run's ledger.

    The folder must hold a peakend run; ``name`` (relative, no ``..``, ending in
    ``suffix``) must be new, or a file the ledger lists with its SHA-256 (a
    report written before): a file peakend wrote for the run, or one it did not
    write, is never replaced. The folder's lock is held while writing; only the
    ``files`` entry of ``manifest.json`` changes.

    Raises
    ------
    OutputError
        For a folder that holds no peakend run or is in use, or a ``name`` that
        may not be written.
    """
    root = Path(folder)
    manifest = _read_manifest(root) if root.is_dir() else None
    if manifest is None:
        raise OutputError(root, "not a peakend run directory (no manifest.json of peakend)")
    relative = ledger.clean_relative(name)
    target = root / (relative or name)
    if relative is None or not relative.endswith(suffix) or relative in (MANIFEST_NAME,):
        raise OutputError(target, f"not a new {suffix} file inside the run folder")
    lock = _acquire_lock(root / LOCK_NAME)
    try:
        entries = ledger.recorded(root, _read_manifest(root)) or {}
        _check_replaceable(root, relative, entries)
        data = text.encode("utf-8")
        _replace_text(target, text)
        entry = ledger.Entry(len(data), hashlib.sha256(data).hexdigest())
        manifest = _read_manifest(root) or manifest
        listed = dict(manifest.get(ledger.LEDGER_KEY) or {})
        listed[relative] = entry.as_dict()
        manifest[ledger.LEDGER_KEY] = dict(sorted(listed.items()))
        _replace_text(root / MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    finally:
        if _lock_owner(lock) == _me():
            lock.unlink(missing_ok=True)
    return target


def _check_replaceable(root: Path, relative: str, entries: dict[str, ledger.Entry]) -> None:
    target = root / relative
    step = root
    for part in relative.split("/")[:-1]:
        step = step / part
        if step.is_symlink() or not step.is_dir():
            raise OutputError(target, f"{step} is not a folder inside {root}")
    if not os.path.lexists(target):
        return
    entry = entries.get(relative)
    if entry is None or ledger.digest(target) != entry:
        raise OutputError(
            target,
            "exists and peakend did not write it (or it changed since); refusing to "
            "overwrite it: write the report elsewhere",
        )


def _replace_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    import tempfile

    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp_name, 0o666 & ~mask)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _make_folder(path: Path) -> None:
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise OutputError(path, f"cannot create the folder: {exc.strerror or exc}") from None


def _me() -> tuple[int, str]:
    return os.getpid(), socket.gethostname()


def _lock_owner(lock: Path) -> tuple[int, str] | None:
    try:
        pid_text, _, host = lock.read_text(encoding="utf-8").strip().partition(" ")
        return int(pid_text), host
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _alive(owner: tuple[int, str]) -> bool:
    pid, host = owner
    if host != socket.gethostname():
        return True  # cannot tell: assume it is running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire_lock(lock: Path) -> Path:
    """Create ``lock`` exclusively with this process's PID; remove a dead process's lock."""
    for _ in range(3):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _refuse_or_remove(lock)
            continue
        except OSError as exc:
            raise OutputError(lock.parent, f"cannot write in it: {_reason(exc)}") from None
        pid, host = _me()
        try:
            os.write(handle, f"{pid} {host}\n".encode())
        except OSError as exc:
            os.close(handle)
            lock.unlink(missing_ok=True)
            raise OutputError(lock.parent, f"cannot write in it: {_reason(exc)}") from None
        os.close(handle)
        return lock
    raise OutputError(lock.parent, f"cannot take the lock {lock.name}")


def _refuse_or_remove(lock: Path) -> None:
    owner = _lock_owner(lock)
    if owner is None:
        with contextlib.suppress(OSError):
            if time.time() - lock.stat().st_mtime < _FRESH_LOCK_SECONDS:
                raise OutputError(lock.parent, "in use by another peakend process (starting)")
    elif _alive(owner):
        pid, host = owner
        raise OutputError(
            lock.parent,
            f"in use by another peakend process (PID {pid} on {host}); wait until it "
            f"finishes, or delete {lock.name} if it is not running",
        )
    lock.unlink(missing_ok=True)  # stale: its process is gone


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or str(exc)
