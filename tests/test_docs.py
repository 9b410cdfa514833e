"""The documentation site (docs/) cannot rot: its tutorials' Python runs, its commands exist.

Each tutorial's ```python blocks run in order, as one script, in a fresh interpreter (a
tutorial registers memory models and picks a matplotlib backend: neither may leak into
other tests), in a temporary folder that links the shipped ``configs/`` and
``experiments/``: what a tutorial writes (``results/...``) stays out of the repository.
Every ``peakend`` command line in the pages must name a real subcommand and real options
of the current command line. The site itself is built
with ``mkdocs build --strict`` when MkDocs is installed (the ``docs`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from peakend.cli.main import main as cli

from conftest import ROOT, example_workspace

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def test_there_are_three_tutorials_with_python():
    assert [page.stem for page in TUTORIALS] == ["analyst", "planner", "researcher"]
    assert blocks(DOCS / "tutorials" / "researcher.md", "python")
    assert blocks(DOCS / "tutorials" / "analyst.md", "python")


@pytest.mark.parametrize(
    "page",
    [page for page in TUTORIALS if blocks(page, "python")],
    ids=lambda page: page.stem,
)
def test_tutorial_python_runs(page: Path, tmp_path: Path):
    script = "\n\n".join(blocks(page, "python"))
    path = tmp_path / f"{page.stem}.py"
    path.write_text(script)
    work = example_workspace(tmp_path / "work")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(path)], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{page.relative_to(ROOT)}:\n{done.stderr[-3000:]}"


def command_lines() -> list[tuple[str, str]]:
    """Every ``peakend ...`` command in the shell and text blocks of every page."""
    found = []
    for page in PAGES:
        for language, body in FENCE.findall(page.read_text()):
            if language not in ("bash", "text", ""):
                continue
            for line in body.splitlines():
                line = line.strip().removeprefix("$ ")
                line = re.sub(r"^\.venv/bin/", "", line)
                if line.startswith("peakend ") or line == "peakend":
                    command = line.split("#", 1)[0].split("|", 1)[0].strip()
                    found.append((str(page.relative_to(ROOT)), command))
    return found


COMMANDS = command_lines()


def test_the_pages_show_commands():
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_documented_command_exists(page: str, line: str):
    words = shlex.split(line)[1:]
    command: click.Command = cli
    if words and not words[0].startswith("-"):
        assert isinstance(cli, click.Group)
        assert words[0] in cli.commands, f"{page}: no command {words[0]!r} in {line!r}"
        command = cli.commands[words[0]]
    options = {name for param in command.params for name in param.opts + param.secondary_opts}
    options |= {"-h", "--help", "--version"}
    for word in words:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            assert word.split("=", 1)[0] in options, f"{page}: {line!r}: unknown option {word}"


def test_the_api_page_documents_every_public_name():
    import peakend

    page = (DOCS / "api" / "index.md").read_text()
    missing = [name for name in peakend.__all__ if f"`{name}`" not in page]
    assert not missing, f"docs/api/index.md does not list {missing}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None, reason="MkDocs not installed (the docs extra)"
)
def test_the_site_builds_strictly(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "tutorials" / "planner" / "index.html").exists()


def schema_keys() -> set[str]:
    """Every key a scenario file can set, as ``section.key`` (``NAME`` for a named entry)."""
    from pydantic import BaseModel

    from peakend.config.schema import Scenario

    named = {"segments": "segments.NAME", "pools": "pools.NAME", "channels": "channels.NAME"}
    keys: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            nested = field.annotation
            if prefix == "" and name in named:
                nested = Scenario.model_fields[name].annotation.__args__[1]
                walk(nested, named[name] + ".")
            elif isinstance(nested, type) and issubclass(nested, BaseModel):
                walk(nested, path + ".")
            else:
                keys.add(path)

    walk(Scenario, "")
    return keys


def documented_keys() -> set[str]:
    """The keys in the first column of the tables of docs/parameters.md."""
    keys = set()
    for line in (DOCS / "parameters.md").read_text().splitlines():
        cell = line.split("|")[1] if line.startswith("| `") else ""
        keys.update(re.findall(r"`(\w[\w.]*)`", cell))
        # "`pools.NAME.warmth.mean`, `.sd`" documents both attributes
        for tail in re.findall(r"`\.(\w+)`", cell):
            head = re.findall(r"`([\w.]+)\.\w+`", cell)[0]
            keys.add(f"{head}.{tail}")
    return keys


def test_the_parameters_page_lists_every_key_of_the_schema():
    missing = sorted(schema_keys() - documented_keys())
    assert not missing, f"docs/parameters.md does not document {missing}"


def test_the_parameters_page_lists_no_key_the_schema_lacks():
    unknown = sorted(documented_keys() - schema_keys())
    assert not unknown, f"docs/parameters.md documents keys the schema lacks: {unknown}"
