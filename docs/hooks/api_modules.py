"""MkDocs hooks of the API reference.

``<!-- modules: peakend.PACKAGE -->`` expands into one mkdocstrings block per module: each
API page names its subpackage once; the modules are found on disk when the
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


# The docstrings follow the numpy convention with Sphinx roles (:class:`Traces`) and
# literal-block colons (``parameters::``); mkdocstrings shows them verbatim, so the rendered
# API pages drop the role names, keep the last part of ``~``-shortened names and end the
# paragraph before a literal block with a single colon.
ROLE = re.compile(r":(?:mod|class|func|meth|attr|data|exc|obj|ref):(?=<code>)")
SHORTENED = re.compile(r"<code>~(?:\w+\.)*(\w+)</code>")
LITERAL_COLONS = re.compile(r"::</p>")


def on_page_content(html: str, **_: object) -> str:
    html = ROLE.sub("", html)
    html = SHORTENED.sub(r"<code>\1</code>", html)
    return LITERAL_COLONS.sub(":</p>", html)
