"""MkDocs hook: expand ``<!-- modules: peakend.PACKAGE -->`` into one mkdocstrings block per module.

Each API page names its subpackage once; the modules are found on disk when the
site is built, so a module added to ``src/peakend`` appears in the reference without
an edit here. Private modules (a leading underscore) are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src"
MARKER = re.compile(r"<!-- modules: (peakend(?:\.\w+)*) -->")


def _modules(package: str) -> list[str]:
    folder = SOURCE.joinpath(*package.split("."))
    if not folder.is_dir():
        raise ValueError(f"no package {package} under {SOURCE}")
    return [
        f"{package}.{path.stem}"
        for path in sorted(folder.glob("*.py"))
        if not path.stem.startswith("_")
    ]


def _expand(match: re.Match[str]) -> str:
    return "\n\n".join(f"::: {module}" for module in _modules(match.group(1)))


def on_page_markdown(markdown: str, **_: object) -> str:
    return MARKER.sub(_expand, markdown)
