"""The report page of an optimisation folder: ``peakend optimise --out DIR`` writes
``DIR/report.html`` (the chosen plan against today's), ``peakend report DIR`` renders the
same page again from the folder's files, its run-again command reproduces the plan from a
copy of the folder elsewhere, and a tampered folder is refused in one line.

One optimisation per session (``optimise_dir`` in tests/rundirs.py); a test that changes
the folder works on a copy.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import check_in_browser
from click.testing import CliRunner
from rundirs import OPTIMISE_NAME

from peakend.cli.main import main
from peakend.output import optimise_report
from peakend.output.report_parts import _COST_PARTS, _shown_split, _split_table

PROFIT_SPLIT = "Where the profit difference comes from"


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to, symlinks=True)
    return to


def _section(page: str, title: str) -> str:
    start = page.index(f"<h2>{html.escape(title, quote=False)}</h2>")
    return page[start : page.index("</section>", start)]


def _rows(fragment: str) -> list[list[str]]:
    """The body rows of the tables in ``fragment``, each cell as text."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if cells:
            rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells])
    return rows


def _money(text: str) -> Decimal:
    """``+€1,315`` → 1315; ``−€0.45`` → -0.45; ``±€0`` → 0."""
    sign = -1 if text.startswith("−") else 1
    return sign * Decimal(re.sub(r"[^\d.]", "", text))


# ------------------------------------------------------------------------------ the page


def test_the_page_answers_first_and_splits_the_profit_exactly(optimise_dir: Path) -> None:
    path = optimise_dir / "report.html"
    page = path.read_text(encoding="utf-8")
    summary = json.loads((optimise_dir / "optimise.json").read_text())
    # Written by the run, and listed in the folder's ledger like every file it wrote.
    listed = json.loads((optimise_dir / "manifest.json").read_text())["files"]["report.html"]
    assert listed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # The bottom line comes first and names the chosen plan, its P(best) and the CIs.
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings[0] == "Bottom line"
    assert headings[1:6] == [
        "The scenario in words",
        PROFIT_SPLIT,
        "The constraints",
        "The roster",
        "The plans evaluated",
    ]
    bottom = _section(page, "Bottom line")
    chosen = summary["chosen"]
    assert chosen["plan"] in bottom
    assert f"probability {chosen['probability_best']:.2f}" in bottom
    for words in ("staff cost", "service level", "retention", "profit"):
        assert words in bottom
    assert re.search(r"service level [+−][\d.]+ pp \[[+−][\d.]+ pp, [+−][\d.]+ pp\]", bottom)
    # The split: in every variant the parts shown add up to the total shown, exactly,
    # and the total is the profit difference of profit_split.csv, rounded.
    split = _rows(_section(page, PROFIT_SPLIT))
    totals = pd.read_csv(optimise_dir / "profit_split.csv").query("part == 'total'")
    assert len(split) == 5 * len(totals) >= 10  # the roster and the plan before shifts
    for block, (_, expected) in zip(
        (split[i : i + 5] for i in range(0, len(split), 5)), totals.iterrows(), strict=True
    ):
        assert block[0][0] == expected["variant"]
        assert block[-1][1] == "= profit"
        parts = [_money(row[2]) for row in block[:-1]]
        assert sum(parts) == _money(block[-1][2])
        total = _money(block[-1][2])
        unit = Decimal(1).scaleb(total.as_tuple().exponent)  # whole money, or cents
        assert abs(total - Decimal(expected["diff"])) <= unit / 2
    # The frontier plot is the folder's PNG, inline.
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert [base64.b64decode(data) for data in images] == [
        (optimise_dir / "frontier.png").read_bytes()
    ]
    # Names are data: the optimisation's name and description show as typed.
    assert html.escape(OPTIMISE_NAME) in page and "<b>roster</b>" not in page
    assert "&lt;script&gt;cheapest&lt;/script&gt;" in page and "<script" not in page


def test_the_page_shows_the_constraints_the_roster_and_every_plan(optimise_dir: Path) -> None:
    page = (optimise_dir / "report.html").read_text(encoding="utf-8")
    summary = json.loads((optimise_dir / "optimise.json").read_text())
    constraints = _rows(_section(page, "The constraints"))
    assert {row[0] for row in constraints} == set(summary["chosen"]["constraints"])
    misses = {m["constraint"]: m for m in summary["chosen"]["misses"]}
    for row in constraints:
        assert row[4] == ("meets" if summary["chosen"]["feasible"] else row[4])
        assert row[7] == f"{misses[row[0]]['miss_share']:.0%}"
    roster = _section(page, "The roster")
    table = _rows(roster)
    today = summary["today"]["staffing"]["agents"]
    handed = summary["chosen"]["staffing"]["agents"]
    before = summary["chosen"]["before_shifts"]["staffing"]["agents"]
    for i, row in enumerate(table[: len(today)]):
        assert row[2:5] == [str(today[i]), str(handed[i]), str(before[i])]
        assert row[-1] in ("0", f"{handed[i] - today[i]:+d}")
    assert "start 0, 2 intervals" in roster  # the shift of roster_agents.csv
    assert "recovery.policy" in roster  # the policy choice, today's and the chosen
    plans = _rows(_section(page, "The plans evaluated"))
    frontier = pd.read_csv(optimise_dir / "frontier.csv")
    evaluations = pd.read_csv(optimise_dir / "evaluations.csv")
    assert len(plans) == len(frontier) + len(evaluations)
    assert [row[0] for row in plans[: len(frontier)]] == list(frontier["plan"])


def test_peakend_report_renders_the_same_page_again(optimise_dir: Path, tmp_path: Path) -> None:
    written = (optimise_dir / "report.html").read_bytes()
    out = tmp_path / "again.html"
    result = CliRunner().invoke(main, ["report", str(optimise_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == written
    # In place, on a copy: the report is the folder's own file, replaced by the same bytes.
    copy = _copy(optimise_dir, tmp_path / "copy")
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").read_bytes() == written


def test_a_resumed_optimisation_writes_its_report_again(optimise_dir: Path, tmp_path: Path) -> None:
    """The page is in the ledger: resuming the folder replaces it instead of refusing."""
    copy = _copy(optimise_dir, tmp_path / "copy")
    result = CliRunner().invoke(
        main,
        ["optimise", str(copy / "resolved_optimisation.toml"), "--out", str(copy), "-q"]
        + ["--executor", "serial"],
    )
    assert result.exit_code == 0, result.output
    for name in ("report.html", "optimise.json", "best.toml"):
        assert (copy / name).read_bytes() == (optimise_dir / name).read_bytes(), name
    sessions = json.loads((copy / "manifest.json").read_text())["sessions"]
    assert sessions[-1]["replications_run"] == 0  # everything read back from the store


@pytest.mark.slow
def test_the_run_again_command_reproduces_the_plan_from_a_copy_elsewhere(
    optimise_dir: Path, tmp_path: Path
) -> None:
    page = (optimise_dir / "report.html").read_text(encoding="utf-8")
    found = re.search(r'<code class="rerun">(.*?)</code>', page)
    assert found, "the page shows no run-it-again command"
    command = html.unescape(found.group(1))
    assert command == "peakend optimise resolved_optimisation.toml --out rerun"
    original = _copy(optimise_dir, tmp_path / "original")
    elsewhere = _copy(original, tmp_path / "another" / "path")
    shutil.rmtree(original)  # nothing may reach back to the first folder
    words = shlex.split(command)
    done = subprocess.run(  # as pasted: the default executor (worker processes)
        [sys.executable, "-m", "peakend", *words[1:]],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,  # a safety bound for a hung child only
    )
    assert done.returncode == 0, done.stderr
    for name in ("optimise.json", "best.toml", "frontier.csv"):
        assert (elsewhere / "rerun" / name).read_bytes() == (elsewhere / name).read_bytes(), name


def test_the_page_renders_in_headless_chromium(optimise_dir: Path, tmp_path: Path) -> None:
    result = check_in_browser((optimise_dir / "report.html").read_text("utf-8"), tmp_path)
    assert result["images"] == 1
    assert result["broken"] == []
    assert result["errors"] == []


# ------------------------------------------------------------------------ a tampered folder


def _relist(folder: Path, relative: str) -> None:
    """Make the ledger vouch for ``relative`` as it is now (a tamperer who edits it too)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    data = (folder / relative).read_bytes()
    manifest["files"][relative] = {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def _edit_json(folder: Path, name: str, change: Callable[[dict], None]) -> None:
    data = json.loads((folder / name).read_text())
    change(data)
    (folder / name).write_text(json.dumps(data, indent=2))
    _relist(folder, name)


def _edit_csv(folder: Path, name: str, change: Callable[[pd.DataFrame], None]) -> None:
    frame = pd.read_csv(folder / name, dtype={"key": str})
    change(frame)
    frame.to_csv(folder / name, index=False)
    _relist(folder, name)


def _changed_summary(folder: Path) -> None:
    with (folder / "optimise.json").open("a") as file:
        file.write(" ")


def _chosen_a_list(folder: Path) -> None:
    _edit_json(folder, "optimise.json", lambda d: d.__setitem__("chosen", [1, 2]))


def _probability_text(folder: Path) -> None:
    _edit_json(
        folder, "optimise.json", lambda d: d["finalists"][0].__setitem__("probability_best", "x")
    )


def _roster_outside(folder: Path) -> None:
    _edit_json(
        folder, "optimise.json", lambda d: d["rosters"]["agents"].__setitem__("file", "../s.csv")
    )


def _key_outside(folder: Path) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame["role"] == "today", "key"] = "../../../etc"

    _edit_csv(folder, "frontier.csv", change)


def _parts_do_not_add_up(folder: Path) -> None:
    def change(frame: pd.DataFrame) -> None:
        rows = (frame["metric"] == "profit_customers_kept") & (frame["variant"] == "optimised")
        frame.loc[rows, "diff"] += 1000.0

    _edit_csv(folder, "compare.csv", change)


def _png_a_link(folder: Path) -> None:
    (folder.parent / "secret.txt").write_text("secret\n")
    (folder / "frontier.png").unlink()
    (folder / "frontier.png").symlink_to(folder.parent / "secret.txt")


def _summary_a_fifo(folder: Path) -> None:
    (folder / "optimise.json").unlink()
    os.mkfifo(folder / "optimise.json")


TAMPERED = {
    "optimise.json changed": (_changed_summary, "changed since peakend wrote it"),
    "optimise.json relisted, chosen a list": (_chosen_a_list, "key 'chosen'"),
    "optimise.json relisted, a probability as text": (_probability_text, "not laid out"),
    "optimise.json relisted, roster file outside": (_roster_outside, "not laid out"),
    "frontier.csv relisted, a key out of the folder": (_key_outside, "not a store key"),
    "compare.csv relisted, parts that do not add up": (_parts_do_not_add_up, "not laid out"),
    "frontier.png a link to a secret": (_png_a_link, "symbolic link"),
    "optimise.json a FIFO": (_summary_a_fifo, "optimise.json"),
}


def _snapshot(root: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for current, _dirs, files in os.walk(root):
        for name in files:
            path = Path(current) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink() or not path.is_file():
                found[relative] = f"mode {path.lstat().st_mode:o}"
            else:
                found[relative] = path.read_bytes()
    return found


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_folder_is_refused_in_one_line(
    case: str, optimise_dir: Path, tmp_path: Path
) -> None:
    tamper, expected = TAMPERED[case]
    folder = _copy(optimise_dir, tmp_path / "work" / "out")
    tamper(folder)
    before = _snapshot(tmp_path / "work")
    result = CliRunner().invoke(main, ["report", str(folder), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("peakend: error:")
    assert expected in result.output
    assert "Traceback" not in result.output and "secret" not in result.output.split(":")[-1]
    assert _snapshot(tmp_path / "work") == before
    assert not (tmp_path / "r.html").exists()


def test_the_report_never_overwrites_the_folders_own_files(
    optimise_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(optimise_dir, tmp_path / "out")
    (folder / "notes.html").write_text("<p>my notes</p>")  # a user's page beside the run's
    before = _snapshot(folder)
    for target, refusal in (
        ("optimise.json", "not a new .html file inside the run folder"),
        ("best.toml", "not a new .html file inside the run folder"),
        ("notes.html", "refusing to overwrite it"),
    ):
        result = CliRunner().invoke(main, ["report", str(folder), "--out", str(folder / target)])
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and refusal in result.output
    assert _snapshot(folder) == before


def test_a_folder_of_an_older_peakend_still_renders(optimise_dir: Path, tmp_path: Path) -> None:
    """Before the page, optimise.json had no decide, rosters or today's staffing, and the
    folder no resolved_optimisation.toml: the page shows what there is and says so."""
    folder = _copy(optimise_dir, tmp_path / "out")

    def older(data: dict) -> None:
        for key in ("decide", "rosters", "description"):
            del data[key]
        del data["today"]["staffing"], data["today"]["policy"], data["chosen"]["before_shifts"]

    _edit_json(folder, "optimise.json", older)
    (folder / "resolved_optimisation.toml").unlink()
    result = CliRunner().invoke(main, ["report", str(folder), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h2>Bottom line</h2>" in page and PROFIT_SPLIT in page
    assert "has no <code>resolved_optimisation.toml</code>" in page


# ------------------------------------------------------------------------- the parts


def test_shown_parts_add_up_to_the_shown_total() -> None:
    """Random splits (fixed seed): the parts shown add up to the total shown, each part is
    within one unit of its own value, and parts that do not add up are refused."""
    rng = np.random.default_rng(20)
    for _ in range(2000):
        scale = 10.0 ** rng.integers(-1, 6)
        parts = list(rng.normal(0, scale, size=int(rng.integers(2, 6))))
        shown = _shown_split(parts, float(sum(parts)))
        *pieces, (total, decimals) = shown
        assert sum(units for units, _ in pieces) == total
        unit = 10.0**-decimals
        for (units, _), value in zip(pieces, parts, strict=True):
            assert abs(units * unit - value) < unit * (1 + 1e-9)
    with pytest.raises(ValueError, match="do not add up"):
        _shown_split([1000.0, 200.0], 1300.0)
    with pytest.raises(ValueError, match="do not add up"):
        _shown_split([math.nan, 1.0], 1.0)


def test_a_single_day_splits_the_cost_and_counts_bad_days() -> None:
    """A single-day base has no profit: the page splits the cost difference instead; with
    a day-level absence shock the constraints table counts the bad days apart."""
    rows = [
        ("staff_cost", 45.004),
        ("recovery_cost", 2.0045),
        ("extras_cost", 1.0035),
        ("total_cost", 48.012),
    ]
    frame = pd.DataFrame(
        [
            {"variant": "optimised", "metric": metric, "diff": diff}
            | {"diff_ci_low": diff - 1, "diff_ci_high": diff + 1}
            for metric, diff in rows
        ]
    )
    cells = _rows(_split_table(frame, _COST_PARTS, "€"))
    # Each rounded alone, the parts would show 45.00 + 2.00 + 1.00 = 48.00, not 48.01: the
    # largest remainder (recovery's) is rounded up instead.
    assert [row[2] for row in cells] == ["+€45.00", "+€2.01", "+€1.00", "+€48.01"]
    assert sum(_money(row[2]) for row in cells[:-1]) == _money(cells[-1][2])
    estimate = {"mean": 0.85, "ci_low": 0.8, "ci_high": 0.9, "n": 20}
    miss = {"constraint": "service_level >= 0.8", "judged_on": "day", "miss_share": 0.25}
    data = {
        "chosen": {
            "constraints": {"service_level >= 0.8": estimate},
            "misses": [miss | {"miss_share_bad_days": 0.5, "bad_days": 2.0}],
        },
        "today": {
            "constraints": {"service_level >= 0.8": estimate | {"mean": 0.7}},
            "misses": [miss | {"miss_share": 0.9, "miss_share_bad_days": 1.0, "bad_days": 2.0}],
        },
        "replications": {"selection": 20},
    }
    table = optimise_report._constraints_section(data, "€")
    (row,) = _rows(table)
    assert row[2] == "misses" and row[4] == "meets"
    assert row[6:] == ["90%", "25%", "100%", "50%"]
    assert "worst tenth (2 of 20)" in table
