"""Reading a file from outside: a regular file, at most so many bytes, without blocking.

Arrival files (:mod:`peakend.config.arrival_files`) and contact logs
(:mod:`peakend.calibration.logs`) are untrusted input. Both are read the same way:
the path is checked to be a regular file of at most ``limit`` bytes before it is
opened; it is opened without blocking (a named pipe or a terminal cannot hang the
run), without following a symbolic link and without becoming a controlling
terminal; the opened file must be the one checked (same device and inode) and a
regular file still; and at most ``limit + 1`` bytes are read, so a file that grows
while it is read is refused too. Each caller words its own refusals (what kind of
file it expected, its limit) through ``check_kind`` and ``check_size``; the
messages of a missing or unreadable file are the same for both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_limited"]

_CHUNK = 2**20


def read_limited(
    shown: Path,
    real: Path,
    limit: int,
    error: Callable[[str], Exception],
    check_kind: Callable[[Path, int], None],
    check_size: Callable[[Path, int], None],
) -> bytes:
    """The bytes of the regular file ``real`` (named ``shown`` in messages), at most ``limit``.

    ``check_kind(shown, st_mode)`` and ``check_size(shown, size)`` raise the caller's
    refusal; ``error(message)`` builds the caller's exception for a file that changed
    while it was opened, is missing or cannot be read.
    """
    try:
        before = os.stat(real)
        check_kind(shown, before.st_mode)
        check_size(shown, before.st_size)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW
        descriptor = os.open(real, flags)
        try:
            opened = os.fstat(descriptor)
            check_kind(shown, opened.st_mode)
            if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
                raise error(f"{shown}: the file changed while it was opened")
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(descriptor)
    except FileNotFoundError:
        raise error(f"{shown}: cannot read: file not found") from None
    except OSError as problem:
        raise error(f"{shown}: cannot read: {problem.strerror or 'error'}") from None
    check_size(shown, size)
    return b"".join(chunks)
