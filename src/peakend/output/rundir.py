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
manifest) is never overwritten. While a run uses its folder it holds a lock
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
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from peakend.config.errors import ConfigError
from peakend.config.names import safe_name

__all__ = [
    "LOCK_NAME",
    "OutputError",
    "RunDirectory",
    "RunIdentity",
    "check_writable",
    "safe_name",
]

LOCK_NAME = ".peakend.lock"
MANIFEST_NAME = "manifest.json"
_FRESH_LOCK_SECONDS = 5.0  # a lock this young may still be getting its PID written

Status = Literal["new", "resume", "overwrite"]


class OutputError(ConfigError):
    """An output folder that cannot be used; ``overwritable`` when overwriting would fix it."""

    def __init__(self, path: str | Path, problem: str, overwritable: bool = False) -> None:
        remedy = "; choose another output folder, or overwrite it (overwrite=True)"
        super().__init__(f"{path}: {problem}{remedy if overwritable else ''}")
        self.path = Path(path)
        self.problem = problem
        self.overwritable = overwritable


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


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or "peakend_version" not in data:
        return None
    return data


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
    the lock again if the folder may not be used. :meth:`clear` removes the old
    run's files (for ``overwrite``, before writing anything new).
    """

    def __init__(self, path: str | Path, identity: RunIdentity, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.identity = identity
        self.overwrite = overwrite
        self.status: Status = "new"
        self._lock: Path | None = None

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r}, {self.identity!r}, status={self.status!r})"

    def __enter__(self) -> Self:
        check_writable(self.path)
        created = [p for p in (self.path, *self.path.parents) if not p.exists()]
        _make_folder(self.path)
        try:
            self._lock = _acquire_lock(self.path / LOCK_NAME)
            self.status = self._decide()
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def clear(self) -> None:
        """Remove every file and folder of the old run (not the lock)."""
        for entry in _entries(self.path):
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError as exc:
                raise OutputError(
                    self.path, f"cannot remove the old run's {entry.name}: {exc.strerror}"
                ) from None

    def release(self) -> None:
        """Give up the lock (if this process still holds it)."""
        if self._lock is not None:
            if _lock_owner(self._lock) == _me():
                self._lock.unlink(missing_ok=True)
            self._lock = None


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
