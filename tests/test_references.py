"""Nothing cites a file that the project does not contain.

Scans the README, the documentation pages (docs/), the docstrings and comments of the
Python files and the comments of the shipped TOML files for references to files of the
repository: Markdown links ``](path)``, backticked paths (``configs/contact_centre.toml``,
``src/peakend/engine/journey.py``, ``engine/journey.py``, ``docs/levers.md``), paths in
the pages' code blocks, and any Markdown file named anywhere. Each must exist. In a path
with a folder, a segment in capitals (``experiments/classics/NAME.toml``) or with ``*`` is a
placeholder and matches any file.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "peakend"
TOP_FOLDERS = {"src", "tests", "configs", "experiments", "benchmarks", "docs", ".ci"}
SUBPACKAGES = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
PATH_TOKEN = re.compile(r"^\.?[\w.*-]+(/[\w.*-]+)*/?$")
MARKDOWN_NAME = re.compile(r"(?<![\w/.:-])([\w.-]+(?:/[\w.-]+)*\.md)\b")
BACKTICKED = re.compile(r"`{1,2}([^`\n]+?)`{1,2}")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", flags=re.S | re.M)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_files() -> list[Path]:
    folders = ("src", "tests", "benchmarks", "experiments", "docs")
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def toml_files() -> list[Path]:
    return sorted([*(ROOT / "configs").rglob("*.toml"), *(ROOT / "experiments").rglob("*.toml")])


def python_prose(path: Path) -> str:
    """The docstrings and comments of a Python file (not its code or other strings)."""
    source = path.read_text()
    parts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                parts.append(docstring)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            parts.append(token.string)
    return "\n".join(parts)


def toml_prose(path: Path) -> str:
    return "\n".join(line.split("#", 1)[1] for line in path.read_text().splitlines() if "#" in line)


def is_repo_path(token: str) -> bool:
    token = token.strip().rstrip(".,;:")
    if "://" in token or not PATH_TOKEN.match(token):
        return False
    if token.endswith(".md"):
        return True
    first = token.split("/", 1)[0]
    return "/" in token and (first in TOP_FOLDERS or first in SUBPACKAGES or first == "peakend")


def exists(reference: str, origin: Path) -> bool:
    reference = reference.strip().rstrip(".,;:").split("#", 1)[0]
    pattern = reference.rstrip("/")
    if "/" in pattern:  # placeholders: NAME.toml, KEY/...; a bare file name is itself
        pattern = re.sub(r"(?<![\w.-])[A-Z][A-Z_]*(?![\w-])", "*", pattern)
    for base in (ROOT, ROOT / "src", PACKAGE, origin.parent):
        if any(base.glob(pattern)) if "*" in pattern else (base / pattern).exists():
            return True
    return False


def references(path: Path) -> list[str]:
    """The file references of one file (see the module docstring)."""
    if path.suffix == ".md":
        text = path.read_text()
        code = FENCE.findall(text)
        prose = FENCE.sub("", text)
        found = [target for target in LINK.findall(prose) if not re.match(r"\w+:|#", target)]
        found += [token for token in BACKTICKED.findall(prose) if is_repo_path(token)]
        for block in code:
            for word in re.split(r"[\s\"'=,()\[\]]+", block):
                first = word.split("/", 1)[0]
                if "/" in word and first in TOP_FOLDERS - {"docs"} and is_repo_path(word):
                    found.append(word)
    else:
        prose = python_prose(path) if path.suffix == ".py" else toml_prose(path)
        found = [token for token in BACKTICKED.findall(prose) if is_repo_path(token)]
    found += [name for name in MARKDOWN_NAME.findall(prose) if name not in found]
    return found


FILES = [*markdown_files(), *python_files(), *toml_files()]


def test_the_scan_finds_references():
    """The scan is not vacuous: the README and the docs cite configs and modules."""
    cited = {ref for path in markdown_files() for ref in references(path)}
    assert "configs/contact_centre.toml" in cited
    assert any(ref.startswith("engine/") for ref in cited)


def test_a_missing_file_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("See `configs/nowhere.toml`, [this](missing.md) and NOTES.md.\n")
    found = references(page)
    assert set(found) == {"configs/nowhere.toml", "missing.md", "NOTES.md"}
    assert not any(exists(ref, page) for ref in found)


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(ROOT)) for path in FILES])
def test_every_cited_file_exists(path: Path):
    missing = [ref for ref in references(path) if not exists(ref, path)]
    assert not missing, f"{path.relative_to(ROOT)} cites files that do not exist: {missing}"
