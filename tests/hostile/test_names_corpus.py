"""A corpus of hostile names: a name can never crash a run or forge a line.

Names are data (:mod:`peakend.base.names`): any character TOML can carry is
accepted in a name, a description, a variant's description, a sweep level, and
shown escaped wherever peakend prints, draws or writes it; only lengths (1 to
128 characters) and variant names (file-name safe) are refused, at load, in one
line. Every case runs the real command line in a child process (``measure``) on
a tiny scenario and requires

- for a name that is accepted: exit status 0 in bounded time and memory; stdout
  and stderr without control characters, bidirectional overrides or any forged
  ``peakend:`` line, nothing on stderr, and the name shown as text (its printable
  form) where the command prints it; a well-formed folder (manifest finished,
  every plot a PNG with its SVG (``--svg``), the report renders with the name as text and no
  script, no event-handler attribute); nothing written outside that folder, whose
  name (for an experiment, ``results/NAME-compare``) is :func:`safe_name` of the name;
- for a name refused at load: one ``peakend: error:`` line naming the key, exit
  status 2, nothing written.

Cases are data: ``CASES`` (one per kind and command: each spreads the kind's
strings over every place a name goes) and ``REFUSED``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from refusals import (
    MAX_PEAK_BYTES,
    MAX_SECONDS,
    RUN_PRELOADED,
    Measured,
    assert_refused,
    assert_unchanged,
    measure,
    snapshot,
)

from peakend.base.names import printable, safe_name
from peakend.config.overrides import dotted_key
from peakend.output.report import render_report

# ------------------------------------------------------------- hostile strings, by kind

KINDS: dict[str, tuple[str, ...]] = {
    "markup": (
        "[bold]loud[/bold]",
        "x[/]y",
        "[link=https://evil.example]click[/link]",
        "[red unclosed",
        "trailing backslash \\",
        ":smile: an emoji code",
        "[/bold] closes nothing",
        "{0}{name!r} %s %(x)s %% {} format fields",
    ),
    "mathtext": (
        "$\\frac{a}{b$",
        "$$",
        "\\$ escaped",
        "price $5 and $6",
        "$x^{$",
        "$\\alpha$ greek",
        "unclosed $",
    ),
    "control": (
        "a\npeakend: error: forged",
        "ok\rpeakend: error: forged",
        "\x1b[31mred\x1b[0m\x1b[2J",
        "\x1b]0;owned\x07title",
        "bell\x07",
        "nul\x00byte",
        "csi\x9b2J line\u2028sep",
        "tab\there del\x7f",
    ),
    "html": (
        "</script><script>window.pwned=1</script>",
        '<img src=x onerror="window.pwned=2">',
        '" onmouseover="window.pwned=3',
        "&amp;&lt;&#x3c; entities",
        "</title><h1>forged</h1>",
        "<svg onload=window.pwned=4>",
    ),
    "path": (
        "x[/]y",
        "../../etc/passwd",
        "/tmp/peakend-absolute",
        "con",
        "nul.txt",
        "..",
        "~/home",
        "C:\\windows\\system32",
    ),
    "unicode": (
        "\u202eevil\u202c reversed",
        "emoji 😀🎉👩\u200d👩\u200d👧",
        "中文名字",
        "עברית name",
        "z\u0334\u0321a\u0335lgo",
        "\ufeffbom and \u00ad soft hyphen",
        "zero\u200bwidth\u200c\u200djoiners\u2060",
        "\u2067isolate\u2069 \u200fmark\u200e \u061carabic mark",
    ),
    "long": (
        "a" * 128,
        "é" * 128,
        "😀" * 128,
        "$" * 128,
        "[/]" * 42 + "xy",
        "\n" * 128,
    ),
}

RUN_PLACES = ("name", "description", "segment", "pool", "channel")
COMPARE_PLACES = ("experiment", "variant description", "name", "pool", "segment")
SWEEP_PLACES = ("experiment", "level", "level", "string level", "string level", "pool")
PLACES = {"run": RUN_PLACES, "compare": COMPARE_PLACES, "sweep": SWEEP_PLACES}

# Where each place is shown: on the terminal (a title, a header, a table row or
# caption) and in the report (a heading, the scenario in words, a list, a table).
ON_TERMINAL = {
    "run": {"name"},
    "compare": {"experiment", "variant description"},
    "sweep": {"experiment", "level", "string level"},
}
IN_REPORT = {
    "run": {"name", "description", "segment", "pool"},
    "compare": {"experiment", "variant description", "pool", "segment"},
    "sweep": {"experiment", "level", "string level", "pool"},
}
METRICS = ["service_level", "mean_remembered_utility"]
TABLE_CELL = 30  # longer strings wrap inside a table's cell, between other columns


@dataclass(frozen=True)
class Case:
    """One kind of hostile string in one command: ``names`` maps each place to its string."""

    kind: str
    command: str

    @property
    def id(self) -> str:
        return f"{self.command}-{self.kind}"

    @property
    def names(self) -> list[tuple[str, str]]:
        # Each command starts where the one before it stopped, so that the three cases
        # of a kind use every string of it (16 places, at most 8 strings a kind).
        strings = KINDS[self.kind]
        order = list(PLACES)  # run, compare, sweep
        start = sum(len(PLACES[command]) for command in order[: order.index(self.command)])
        return [
            (place, strings[(start + i) % len(strings)])
            for i, place in enumerate(PLACES[self.command])
        ]


CASES = [Case(kind, command) for kind in KINDS for command in PLACES]


# ------------------------------------------------------------------------ the files


def scenario(name: str = "tiny", description: str = "", **names: str) -> dict[str, Any]:
    """A tiny scenario (30 minutes, about 20 customers) with the given names."""
    return {
        "name": name,
        "description": description,
        "run": {"seed": 1, "replications": 2},
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [40]},
        "segments": {names.get("segment", "customers"): {"share": 1.0}},
        "channels": {names.get("channel", "phone"): {"share": 1.0}},
        "pools": {
            names.get("pool", "agents"): {
                "staffing": [2],
                "service_time": {"distribution": "exponential", "mean": 2.0},
            }
        },
    }


def _first(names: list[tuple[str, str]], place: str, default: str) -> str:
    return next((text for where, text in names if where == place), default)


def _all(names: list[tuple[str, str]], place: str) -> list[str]:
    return [text for where, text in names if where == place]


def write_case(case: Case, work: Path) -> list[str]:
    """Write the case's files into ``work``; return the command's arguments."""
    names = case.names
    pool = _first(names, "pool", "agents")
    base = scenario(
        _first(names, "name", "tiny"),
        _first(names, "description", ""),
        segment=_first(names, "segment", "customers"),
        pool=pool,
        channel=_first(names, "channel", "phone"),
    )
    (work / "base.toml").write_text(tomli_w.dumps(base), encoding="utf-8")
    if case.command == "run":
        return ["run", "base.toml", "--out", "out"]
    experiment: dict[str, Any] = {
        "name": _first(names, "experiment", "x"),
        "base": "base.toml",
        "replications": 2,
        "metrics": METRICS,
    }
    staffing = dotted_key(("pools", pool, "staffing"))
    if case.command == "compare":
        experiment["variants"] = {
            "more": {
                "set": [f"{staffing}+=1"],
                "description": _first(names, "variant description", ""),
            }
        }
    else:
        levels = _all(names, "level")
        experiment["sweep"] = {
            "factors": {
                f"{staffing}*": dict(zip(levels, (1.0, 2.0), strict=True)),
                "description": _all(names, "string level"),
            }
        }
    (work / "experiment.toml").write_text(tomli_w.dumps(experiment), encoding="utf-8")
    return [case.command, "experiment.toml"]


def out_folder(case: Case) -> Path:
    if case.command == "run":
        return Path("out")
    return Path("results") / f"{safe_name(_first(case.names, 'experiment', 'x'))}-{case.command}"


# ------------------------------------------------------------------------ the checks


def _forging(text: str) -> list[str]:
    """Characters that could colour, move or reorder a terminal's text, or end a line early."""
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    return [
        char
        for char in text
        if char != "\n" and (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in bidi)
    ]


def _squashed(text: str) -> str:
    """``text`` without whitespace and box-drawing characters (Rich wraps and frames)."""
    return "".join(c for c in text if not c.isspace() and not "\u2500" <= c <= "\u257f")


def assert_terminal_is_clean(measured: Measured, shown: list[str]) -> None:
    for stream in (measured.stdout, measured.stderr):
        assert _forging(stream) == [], _forging(stream)
    assert measured.stderr == "", measured.stderr
    forged = [line for line in measured.stdout.splitlines() if line.lstrip().startswith("peakend")]
    assert forged == []
    for text in shown:
        assert _squashed(printable(text)) in _squashed(measured.stdout), printable(text)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_folder_is_well_formed(folder: Path, shown: list[str], plots: int) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "finished"
    json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    pngs = sorted(folder.rglob("*.png"))
    assert len(pngs) >= plots, pngs
    for png in pngs:
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), png
        ElementTree.parse(png.with_suffix(".svg"))  # well-formed XML
    page = _Page()
    page.feed(render_report(folder))
    page.close()
    assert "script" not in page.tags and "svg" not in page.tags
    assert [name for name in page.attributes if name.startswith("on")] == []
    assert page.tags.count("h1") == 1 and page.tags.count("title") == 1
    text = "".join(page.text)
    for name in shown:
        assert printable(name) in text, printable(name)


# ------------------------------------------------------------------------- the cases


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty working folder, nested so that ``../..`` stays inside ``tmp_path``."""
    folder = tmp_path / "outer" / "inner" / "work"
    folder.mkdir(parents=True)
    return folder


def test_every_case_spreads_distinct_strings() -> None:
    for case in CASES:
        levels = _all(case.names, "level") + _all(case.names, "string level")
        assert len(set(levels)) == len(levels), case.id
    assert len(CASES) == len(KINDS) * 3


def test_every_string_of_every_kind_is_used() -> None:
    for kind, strings in KINDS.items():
        used = {text for case in CASES if case.kind == kind for _, text in case.names}
        assert set(strings) <= used, (kind, set(strings) - used)
    run_names = {case.kind: case.names[0] for case in CASES if case.command == "run"}
    assert run_names["mathtext"] == ("name", "$\\frac{a}{b$")  # the issue's own names
    assert run_names["path"] == ("name", "x[/]y")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_name_runs_to_completion_and_forges_nothing(case: Case, work: Path) -> None:
    args = write_case(case, work)
    outside = work.parent.parent.parent
    before = snapshot(outside)
    # --svg: the names are drawn into SVG (XML) too, which must stay well formed
    measured = measure([*args, "--executor", "serial", "--svg"], work, preloaded=RUN_PRELOADED)
    assert measured.status == 0, measured.stderr
    assert "Traceback" not in measured.stdout + measured.stderr
    assert measured.cpu_seconds < MAX_SECONDS and measured.peak_bytes < MAX_PEAK_BYTES

    terminal = [
        text
        for place, text in case.names
        if place in ON_TERMINAL[case.command]
        and (place in ("name", "experiment") or len(printable(text)) <= TABLE_CELL)
    ]
    assert_terminal_is_clean(measured, terminal)

    folder = work / out_folder(case)
    shown = [text for place, text in case.names if place in IN_REPORT[case.command]]
    assert_folder_is_well_formed(folder, shown, plots=3 if case.command == "run" else 2)

    after = snapshot(outside)
    assert_unchanged(before, after)
    prefix = str(folder.relative_to(outside)) + os.sep
    assert [name for name in set(after) - set(before) if not name.startswith(prefix)] == []


# ------------------------------------------------------------- refused at load, one line

FORGED = "\npeakend: error: forged"


@dataclass(frozen=True)
class Refused:
    id: str
    args: tuple[str, ...]
    message: str
    files: dict[str, Any]


def _experiment(**extra: Any) -> dict[str, Any]:
    return {"base": "base.toml", "replications": 2, **extra}


REFUSED = [
    Refused(
        "run-name-too-long",
        ("run", "long.toml"),
        "long.toml: name: String should have at most 128 characters",
        {"long.toml": scenario("n" * 129)},
    ),
    Refused(
        "run-pool-name-too-long-with-newlines",
        ("run", "long.toml"),
        "a name has 1 to 128 characters, this one 200",
        {"long.toml": scenario(pool=("p" + FORGED) * 8 + "p" * 8)},
    ),
    Refused(
        "run-empty-segment-name",
        ("run", "empty.toml"),
        'empty.toml: segments."": a name has 1 to 128 characters, this one 0',
        {"empty.toml": scenario(segment="")},
    ),
    Refused(
        "run-set-unknown-hostile-pool",
        ("run", "base.toml", "--set", "pools.\x1b[2J\rx.staffing=[1]"),
        "unknown key '\\x1b[2J\\rx' in pools",
        {},
    ),
    Refused(
        "run-missing-config-with-forged-line",
        ("run", f"missing{FORGED}.toml"),
        "missing\\npeakend: error: forged.toml: file not found",
        {},
    ),
    Refused(
        "compare-markup-variant-name",
        ("compare", "exp.toml"),
        "exp.toml: variants.x[/]y: a variant name uses letters, digits",
        {"exp.toml": _experiment(variants={"x[/]y": {"set": []}})},
    ),
    Refused(
        "compare-variant-name-forging-a-line",
        ("compare", "exp.toml"),
        "exp.toml: variants.a\\npeakend: error: forged: a variant name uses",
        {"exp.toml": _experiment(variants={f"a{FORGED}": {"set": []}})},
    ),
    Refused(
        "compare-cli-variant-with-mathtext",
        ("compare", "base.toml", "--variant", "$\\frac{a}{b$:pools.agents.staffing+=1"),
        "a variant name uses letters, digits",
        {},
    ),
    Refused(
        "compare-experiment-name-too-long",
        ("compare", "exp.toml"),
        "exp.toml: name: String should have at most 128 characters",
        {"exp.toml": _experiment(name="e" * 129, variants={"more": {"set": []}})},
    ),
    Refused(
        "sweep-level-name-too-long",
        ("sweep", "grid.toml"),
        "a level's name has 1 to 128 characters, this one 300",
        {"grid.toml": _experiment(sweep={"factors": {"pools.agents.staffing*": {"l" * 300: 1.0}}})},
    ),
    Refused(
        "sweep-cli-factor-on-unknown-hostile-key",
        ("sweep", "base.toml", "--factor", "pools.\x07[/]$$.staffing*=1,2"),
        "unknown key '\\x07[/]$$' in pools",
        {},
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_a_name_refused_at_load_is_one_line_naming_the_key(case: Refused, work: Path) -> None:
    (work / "base.toml").write_text(tomli_w.dumps(scenario()), encoding="utf-8")
    for name, data in case.files.items():
        (work / name).write_text(tomli_w.dumps(data), encoding="utf-8")
    before = snapshot(work)
    measured = measure([*case.args, "--executor", "serial"], work)
    assert_refused(measured, case.message)
    assert _forging(measured.stderr) == [] and measured.stdout == ""
    assert snapshot(work) == before


def test_the_corpus_covers_every_kind_in_every_command() -> None:
    assert {(case.kind, case.command) for case in CASES} == set(
        itertools.product(KINDS, ("run", "compare", "sweep"))
    )
    assert len(CASES) + len(REFUSED) >= 30


# -------------------------------------------- must show: the report renders in Chromium

MUST_SHOW = (
    "[bold]x[/] $\\frac{a}{b$ \x1b[31m\r\npeakend: error: forged "
    "</script><script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
)

_CATCH = (
    "<script>window.__errors = []; window.addEventListener('error', "
    "e => window.__errors.push(String(e.message || 'resource failed: ' + e.target.src)), true);"
    "</script>"
)
_CHECK = (
    "<script>window.addEventListener('load', () => { const images = [...document.images];"
    "const out = document.createElement('pre'); out.id = 'peakend-check';"
    "out.textContent = JSON.stringify({images: images.length, broken: images.filter("
    "i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt), errors: window.__errors,"
    "pwned: typeof window.pwned, h1: document.querySelector('h1').textContent,"
    "title: document.title});"
    "document.body.appendChild(out); });</script>"
)


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI: no headless browser on PATH; .ci/run installs chromium")
    pytest.skip("no headless browser (chromium) on PATH")


def _rendered(page: str, tmp_path: Path) -> dict[str, Any]:
    """What headless Chromium shows of ``page``: images, script errors, the heading."""
    import html
    import re

    browser = _browser()
    path = tmp_path / "checked.html"
    checked = page.replace("<head>", "<head>" + _CATCH, 1).replace("</body>", _CHECK + "</body>")
    path.write_text(checked, encoding="utf-8")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--disable-background-networking",
               f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
               "--dump-dom", path.as_uri()]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="peakend-check">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"no check result in the DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    return dict(json.loads(html.unescape(found.group(1))))


def test_a_name_with_markup_mathtext_and_controls_runs_and_its_report_renders(
    work: Path,
) -> None:
    assert len(MUST_SHOW) <= 128
    (work / "base.toml").write_text(tomli_w.dumps(scenario(MUST_SHOW, MUST_SHOW)))
    run = ["run", "base.toml", "--out", "out", "--executor", "serial"]
    ran = measure(run, work, preloaded=RUN_PRELOADED)
    assert ran.status == 0, ran.stderr
    assert_terminal_is_clean(ran, [MUST_SHOW])
    reported = measure(["report", "out"], work)
    assert reported.status == 0, reported.stderr
    assert_terminal_is_clean(reported, [])
    page = (work / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page

    shown = _rendered(page, work.parent)
    assert shown["h1"] == printable(MUST_SHOW)  # the name, as text
    assert shown["title"].startswith(printable(MUST_SHOW))
    assert shown["pwned"] == "undefined"  # no injected script or handler ran
    assert shown["errors"] == []
    assert shown["broken"] == []
    assert shown["images"] == len(list((work / "out").glob("*.png"))) >= 3
