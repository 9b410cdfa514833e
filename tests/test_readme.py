"""The README is a front door that cannot rot: short, its examples run, its commands exist.

- Its Python example runs as written, and so do the Python blocks of the reference pages
  that used to be README sections (docs/commands.md, docs/outputs.md,
  docs/scenarios.md, docs/experiments.md): moving them out of the README did not take
  them out of the suite.
- It stays under 250 lines (issue 18: a front door, not a manual).
- Every shell command in its code blocks names a program the quickstart provides, files
  that exist (or that an earlier command of the same line creates: ``.venv/``,
  ``results/``), extras that pyproject.toml declares and ``peakend`` subcommands and
  options that exist; the cheap ones (``--help``, ``show``, ``init --list``) run.
- Quickstart command 2 is what CI runs (``.ci/run``), and every figure the README quotes
  from the quickstart is in the stored output (``docs/quickstart.out``) that
  ``tests/test_quickstart_out.py`` compares with a fresh run.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib

import click
import pytest

from peakend.cli.main import main as cli

from conftest import ROOT, example_workspace

README = ROOT / "README.md"
SCRIPT = ROOT / "docs" / "quickstart_out.py"
TEXT = README.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
MOVED_PAGES = ["commands.md", "outputs.md", "scenarios.md", "experiments.md"]
"""The pages that took over the README's reference sections (and their Python examples)."""
MAX_LINES = 250
CREATED = (".venv/", "results/")
"""Paths that the quickstart's own commands create before a later command uses them."""
PROGRAMS = {"python3", "python", "source", "pip", "peakend"}
"""What a README command may start with: the system's Python, then the venv's tools."""
CHEAP = {("--help",), ("show",), ("init", "--list"), ("schema",)}
"""README commands (their first words after ``peakend``) that run here, in seconds."""


def blocks(text: str, *languages: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang in languages]


def python_blocks() -> list[tuple[str, str]]:
    found = [("README.md", body) for body in blocks(TEXT, "python")]
    for name in MOVED_PAGES:
        page = ROOT / "docs" / name
        found += [(f"docs/{name}", body) for body in blocks(page.read_text(), "python")]
    return found


PYTHON = python_blocks()


def shell_commands() -> list[str]:
    """Each ``&&``-separated command of the README's bash blocks, comments dropped."""
    commands = []
    for body in blocks(TEXT, "bash"):
        for line in body.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands += [part.strip() for part in line.split("&&")]
    return commands


COMMANDS = shell_commands()


@pytest.mark.parametrize(
    ("where", "source"), PYTHON, ids=[f"{w}-{i}" for i, (w, _) in enumerate(PYTHON)]
)
def test_python_block_runs(where: str, source: str, tmp_path, monkeypatch) -> None:
    # Run where the examples' paths resolve (configs/, experiments/) but outputs such as
    # results/ land in a fresh folder, so that the suite can run twice.
    monkeypatch.chdir(example_workspace(tmp_path))
    exec(compile(source, f"{where} python block", "exec"), {})


def test_the_readme_has_one_short_python_example() -> None:
    [example] = blocks(TEXT, "python")
    assert len(example.strip().splitlines()) <= 10
    assert len(PYTHON) >= 5, "the moved pages keep the README's former examples"


def test_the_readme_is_a_front_door() -> None:
    lines = TEXT.count("\n")
    assert lines < MAX_LINES, f"README.md has {lines} lines; move reference material to docs/"


def test_the_readme_links_into_the_docs_for_every_topic() -> None:
    for page in ("commands", "scenarios", "outputs", "experiments", "benchmarks", "development"):
        assert f"](docs/{page}.md" in TEXT, f"README.md does not link docs/{page}.md"


def slug(heading: str) -> str:
    """The anchor MkDocs and GitHub give a heading (lower case, punctuation dropped)."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s+", "-", text)


LINKS = re.findall(r"\]\(([^)\s]+)\)", TEXT)


@pytest.mark.parametrize("target", [t for t in LINKS if not t.startswith("http")])
def test_a_readme_link_resolves(target: str) -> None:
    path, _, anchor = target.partition("#")
    assert (ROOT / path).exists(), f"README.md links {path}, which does not exist"
    if anchor:
        headings = re.findall(r"^#+ (.+)$", (ROOT / path).read_text(), flags=re.M)
        assert anchor in {slug(h) for h in headings}, f"README.md: no #{anchor} in {path}"


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 12
    assert "source .venv/bin/activate" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_command_names_what_exists(command: str) -> None:
    words = shlex.split(command)
    program = re.sub(r"^\.venv/bin/", "", words[0])
    assert program in PROGRAMS, f"README.md: {command!r}: {words[0]!r} is not set up by it"
    if program == "source":
        assert words[1:] == [".venv/bin/activate"]
    elif program == "pip":
        check_pip(command, words[1:])
    elif program == "peakend":
        check_peakend(command, words[1:])
    else:
        check_python(command, words[1:])


def check_pip(command: str, words: list[str]) -> None:
    """``pip install`` of this checkout, its declared extras, with files that exist."""
    assert words[0] == "install", command
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for before, word in zip(words, words[1:], strict=False):
        if before == "-c":
            assert (ROOT / word).is_file(), f"{command!r}: no {word}"
        if before == "-e":
            target, _, extra = word.partition("[")
            assert target == "."
            for name in filter(None, extra.rstrip("]").split(",")):
                assert name in extras, f"{command!r}: pyproject.toml has no extra {name!r}"


def check_python(command: str, words: list[str]) -> None:
    """``python3 -m venv .venv`` or ``python -m pytest``/``peakend`` or a script that exists."""
    if words[:1] == ["-m"]:
        assert words[1] in {"venv", "pytest", "peakend"}, command
    else:
        assert (ROOT / words[0]).is_file(), f"{command!r}: no script {words[0]}"


def check_peakend(command: str, words: list[str]) -> None:
    """A real subcommand with real options, whose file arguments exist."""
    group: click.Command = cli
    if words and not words[0].startswith("-"):
        assert isinstance(cli, click.Group)
        assert words[0] in cli.commands, f"{command!r}: no command {words[0]!r}"
        group = cli.commands[words[0]]
    options = {name for param in group.params for name in param.opts + param.secondary_opts}
    options |= {"-h", "--help", "--version"}
    for before, word in zip(["", *words], words, strict=False):
        if word.startswith("-"):
            assert word.split("=", 1)[0] in options, f"{command!r}: unknown option {word}"
        elif "/" in word and before != "--out" and not word.startswith(CREATED):
            assert (ROOT / word).exists(), f"{command!r}: no {word}"
        elif word.startswith(CREATED):
            assert any(w.startswith(CREATED) for w in words[: words.index(word)]) or any(
                f"--out {word}" in c for c in COMMANDS
            ), f"{command!r}: nothing in the README writes {word}"


def cheap(command: str) -> bool:
    words = shlex.split(command)
    if re.sub(r"^\.venv/bin/", "", words[0]) != "peakend":
        return False
    return any(tuple(words[1 : 1 + len(start)]) == start for start in CHEAP)


RUNNABLE = [command for command in COMMANDS if cheap(command)]


def test_some_commands_are_cheap_enough_to_run() -> None:
    assert len(RUNNABLE) >= 3


@pytest.mark.parametrize("command", RUNNABLE)
def test_a_cheap_readme_command_runs(command: str, tmp_path) -> None:
    words = shlex.split(command)
    done = subprocess.run(
        [sys.executable, "-m", "peakend", *words[1:]],
        cwd=example_workspace(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"README.md: {command!r} failed:\n{done.stderr[-2000:]}"
    assert done.stdout.strip(), f"README.md: {command!r} printed nothing"


def quickstart(number: int) -> str:
    """The line of quickstart command ``number`` (after its ``# N.`` comment)."""
    body = blocks(TEXT, "bash")[0]
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {number}."))
    return lines[start + 1].strip()


def test_ci_runs_quickstart_command_2() -> None:
    """``.ci/run`` installs and tests exactly as command 2 does (without activating)."""
    readme = quickstart(2).replace("source .venv/bin/activate && ", "")
    ci = (ROOT / ".ci" / "run").read_text()
    ci_line = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    normalised = re.sub(r"(^| )\.venv/bin/", r"\1", ci_line)
    assert normalised == readme


def test_quickstart_command_1_runs_the_stored_compare() -> None:
    """Command 1 runs the compare that docs/quickstart.out stores (docs/quickstart_out.py)."""
    spec = importlib.util.spec_from_file_location("quickstart_out", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert f"peakend {' '.join(script.ARGS)} --out " in quickstart(1)


def test_the_quoted_quickstart_figures_are_the_stored_ones() -> None:
    """Each figure in the README's "What it prints" paragraph is in docs/quickstart.out."""
    paragraph = TEXT.split("**What it prints**", 1)[1].split("\n\n", 1)[0]
    figures = re.findall(r"`([^`]*\d[^`]*)`", paragraph)
    assert figures, "the paragraph quotes the stored figures in `code`"
    stored = (ROOT / "docs" / "quickstart.out").read_text(encoding="utf-8")
    for figure in figures:
        assert figure in stored, f"README.md quotes {figure!r}, not in docs/quickstart.out"
