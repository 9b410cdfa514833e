"""Names are data: how a user's string is shown wherever peakend shows it.

Scenario, segment, pool and channel names, descriptions, experiment names,
variant descriptions, sweep levels, the period name and paths typed by the user
may hold any character that TOML can carry; only lengths are limited
(:data:`MAX_NAME_LENGTH`), and a variant's own name, which becomes part of file
names, to letters, digits and ``_ . + -``. None of them is ever interpreted: each
output boundary passes a user string through the one function of this module
made for it.

- :func:`printable` (the terminal, error and warning lines, and the basis of every
  other form): control characters (C0, DEL, C1: escape sequences, ``\\r``,
  ``\\n``, BEL, NUL), line and paragraph separators, lone surrogates and the
  bidirectional overrides that reorder what follows them become visible escapes
  such as ``\\x1b``, ``\\n`` or ``\\u202e``. Everything else (accents, scripts
  written right to left, emoji) is kept. So a name is one line, always, and can
  neither colour the terminal nor forge a ``peakend: error:`` line.
- :func:`rich_text`: for Rich, whose strings are markup (``[bold]``, ``[/]``
  would be styles, or crash it) and emoji codes (``:smile:``): a ``Text``, never
  parsed. (``rich.markup.escape`` is not used: it doubles a trailing backslash.)
- :func:`plot_text`: for matplotlib, which reads text between two ``$`` as
  mathtext (``$\\frac{a}{b$`` would crash drawing).
- :func:`html_text`: for the HTML report (text and attribute values).
- :func:`spreadsheet_text`: for a cell of an exported CSV or Excel file: a text
  that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) gets a
  leading ``'``, so a spreadsheet shows it as text and never runs it as a formula
  (CSV/formula injection, OWASP).
- :func:`safe_name`: a file-name component (no path separators, no ``..``, no
  NUL, no reserved device name, at most 120 characters).

Every form starts from :func:`printable`, so a name reads the same in the
terminal, the plots and the report: ``printable(name)``, with nothing added.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

__all__ = [
    "MAX_NAME_LENGTH",
    "PLOT_NAME_LENGTH",
    "html_text",
    "plot_text",
    "printable",
    "rich_text",
    "safe_name",
    "spreadsheet_text",
    "toml_text",
    "unique_file_names",
]

MAX_NAME_LENGTH = 128
"""Longest name of a scenario, segment, pool, channel, experiment or variant (characters)."""

PLOT_NAME_LENGTH = 60
"""Characters of a name shown in a plot's title (longer names end in ``…``)."""

MAX_FILE_NAME_LENGTH = 120
"""Longest file-name component made from a name (file systems allow 255 bytes)."""

# Bidirectional formatting characters: they reorder the text after them on screen
# (the "Trojan Source" trick), so a name could make a line read differently.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# C0 and C1 controls and DEL, line and paragraph separators, lone surrogates.
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff{_BIDI}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could change how a terminal line reads made visible.

    Control characters, line separators, lone surrogates and bidirectional
    overrides become escapes (``"a\\nb"`` gives ``a\\nb`` on one line, ESC gives
    ``\\x1b``); anything else is kept as it is. The result holds no line break,
    and ``printable(printable(s)) == printable(s)``.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


# What TOML writers leave raw in a string although printable() escapes it.
_RAW_IN_TOML = re.compile(f"[\\t\\x80-\\x9f\\u2028\\u2029{_BIDI}]")


def toml_text(document: str) -> str:
    """A TOML document with the characters TOML may hold raw in a string (tab, C1
    controls, line separators, bidirectional overrides) written as ``\\uXXXX`` escapes.

    Such a character can stand only inside a basic string (where the escape means the
    same character, so the document loads back equal), and the document may be
    printed (``peakend show``). Comments must not hold them.
    """
    return _RAW_IN_TOML.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def rich_text(text: str, style: str = "") -> Text:
    """``text`` as a Rich ``Text`` (a table cell or title): :func:`printable`, never
    read as markup or emoji codes."""
    from rich.text import Text

    return Text(printable(text), style=style)


def plot_text(text: str, limit: int | None = None) -> str:
    """``text`` for a matplotlib label or title: :func:`printable`, with every ``$``
    escaped so that it is drawn as a dollar sign, never read as mathtext.

    With ``limit``, a longer text is cut to ``limit`` characters ending in ``…``
    (a title names its scenario; the full name is in the tables and the report).
    """
    shown = printable(text)
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - 1, 0)] + "…"
    return shown.replace("$", r"\$")


def html_text(text: object) -> str:
    """``str(text)`` for HTML text or a quoted attribute value: :func:`printable`, then
    ``& < > " '`` as character references. A parser reads back ``printable(text)``."""
    return html.escape(printable(str(text)), quote=True)


# Device names that Windows reserves whatever the extension ("con.png" included).
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)", re.IGNORECASE)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""


def spreadsheet_text(text: str) -> str:
    """``printable(text)``, with a leading ``'`` when it starts like a formula.

    Excel, LibreOffice and Google Sheets run a cell that starts with one of
    :data:`FORMULA_STARTS` as a formula (``=HYPERLINK(...)``, ``@SUM(...)``); the
    apostrophe makes it text and is the documented way to show such a value.
    """
    shown = printable(text)
    return f"'{shown}" if text.startswith(FORMULA_STARTS) else shown


def safe_name(name: str) -> str:
    """A single file-name component made from a scenario, experiment, metric or pool name.

    Keeps ASCII letters, digits and ``_ . + -``; anything else (path separators,
    NUL and other controls, spaces, ``~``, non-ASCII) becomes ``_``; runs of dots
    become ``_``, so no ``..``; no leading dot (hidden) or underscore; a reserved
    device name (``con``, ``nul``, ``com1``, ...) gets a trailing ``_``; at most
    :data:`MAX_FILE_NAME_LENGTH` characters; never empty. ``"../../x"`` gives
    ``"x"``, ``"/etc/passwd"`` gives ``"etc_passwd"``.
    """
    text = re.sub(r"[^A-Za-z0-9_.+-]+", "_", name)
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"_{2,}", "_", text).strip("._")
    if _RESERVED.match(text):
        stem, dot, rest = text.partition(".")
        text = f"{stem}_{dot}{rest}"
    return text[:MAX_FILE_NAME_LENGTH].rstrip(".") or "unnamed"


def unique_file_names(names: Iterable[str]) -> dict[str, str]:
    """``{name: file-name component}``, distinct for distinct names.

    Each is :func:`safe_name`; where two names would share one (``a/b`` and
    ``a_b``, or two names that differ only in characters that are replaced), each
    of them gets ``-`` and 8 hex digits of the name's SHA-256 appended, so no
    file overwrites another.
    """
    names = list(dict.fromkeys(names))
    plain = {name: safe_name(name) for name in names}
    taken = list(plain.values())
    unique = {}
    for name, component in plain.items():
        if taken.count(component) > 1:
            digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            component = f"{component[: MAX_FILE_NAME_LENGTH - 9]}-{digest}"
        unique[name] = component
    return unique
