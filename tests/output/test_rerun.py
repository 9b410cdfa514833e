"""A result folder runs again from itself: the report's "run it again" command, pasted in a
copy of the folder on another path (the original gone), reproduces ``summary.json`` byte
for byte; and the report's bottom line, seed and cost table say what the files hold."""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.output.report import cost_per_unit_of_gain, render_report
from peakend.store.ledger import OutputError

from conftest import busy_day_data

QUIET = ("--executor", "serial", "-q")


def invoke(*args: object) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def rerun_from_report(folder: Path) -> str:
    """The report's "run it again" command (as a reader would copy it)."""
    found = re.search(r'<code class="rerun">(.*?)</code>', render_report(folder))
    assert found, "the report shows no run-it-again command"
    return html.unescape(found.group(1))


def paste(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as typed in a shell in ``folder`` (``peakend`` is this interpreter's)."""
    words = shlex.split(command)
    assert words[0] == "peakend"
    return subprocess.run(
        [sys.executable, "-m", "peakend", *words[1:]],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,  # a safety bound for a hung child only
    )


def reproduces_itself(original: Path, elsewhere: Path) -> None:
    """Copy ``original`` to ``elsewhere``, delete it, paste the command in the copy."""
    command = rerun_from_report(original)
    shutil.copytree(original, elsewhere)
    shutil.rmtree(original)  # nothing may reach back to the first folder
    done = paste(command, elsewhere)
    assert done.returncode == 0, done.stderr
    written = re.search(r"--out (\S+)", command)
    assert written is not None
    rerun = elsewhere / written.group(1)
    assert (rerun / "summary.json").read_bytes() == (elsewhere / "summary.json").read_bytes()


def scenario_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    data = busy_day_data(seed=5)
    data["run"]["replications"] = 2
    path = folder / "day.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_a_run_folder_runs_again_from_a_copy_on_another_path(tmp_path: Path) -> None:
    config = scenario_file(tmp_path / "configs")
    out = tmp_path / "results" / "day"
    invoke("run", config, "--out", out, "--seed", "9", "--set", "run.warmup_minutes=5", *QUIET)
    assert rerun_from_report(out) == "peakend run resolved_config.toml --out rerun"
    reproduces_itself(out, tmp_path / "elsewhere" / "copy of day")


EXPERIMENT = """
name = "tiny"
description = "one more agent, or fewer absences"
base = "../configs/day.toml"
set = ["run.warmup_minutes=10"]
seed = 11
replications = 2
metrics = ["service_level", "mean_remembered_utility", "staff_cost"]

[variants.more]
description = "one more agent in the busy hours"
set = ["pools.agents.staffing[1:3]+=1"]

[variants.present]
set = ["pools.agents.absenteeism=0.05"]

[sweep]
plot = ["service_level"]

[sweep.factors]
"pools.agents.staffing*" = [0.8, 1.2]
"pools.agents.absenteeism" = { low = 0.05, high = 0.3 }
"run.warmup_minutes" = [0, 20]
"""


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    scenario_file(tmp_path / "configs")
    path = tmp_path / "experiments" / "tiny.toml"
    path.parent.mkdir()
    path.write_text(EXPERIMENT)
    return path


def test_a_compare_folder_runs_again_from_a_copy_on_another_path(
    experiment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results" / "tiny"
    invoke(
        "compare", experiment, "--out", out, "--set", "run.drain=false",
        "--variant", "later:run.opens_at=\"09:00\"", *QUIET,
    )  # fmt: skip
    command = rerun_from_report(out)
    assert command == "peakend compare resolved_experiment.toml --out rerun"
    resolved = (out / "resolved_experiment.toml").read_text()
    assert 'base = "resolved_base.toml"' in resolved and "../" not in resolved
    reproduces_itself(out, tmp_path / "elsewhere" / "copy")


def test_a_sweep_folder_runs_again_from_a_copy_on_another_path(
    experiment: Path, tmp_path: Path
) -> None:
    """Factors in their order (a table of named levels among lists), the plan of -r."""
    out = tmp_path / "results" / "sweep"
    invoke("sweep", experiment, "--out", out, "-r", "3", *QUIET)
    assert rerun_from_report(out) == "peakend sweep resolved_experiment.toml --out rerun"
    reproduces_itself(out, tmp_path / "elsewhere" / "sweep")


def test_the_report_shows_the_seed_and_opens_with_the_bottom_line(
    experiment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    invoke("compare", experiment, "--out", out, *QUIET)
    page = render_report(out)
    assert "seed ?" not in page
    assert "seed 11" in page  # the experiment's seed, in the header and the provenance
    assert page.index("Bottom line") < page.index("The scenario in words")
    bottom = page[page.index("Bottom line") : page.index("The scenario in words")]
    # a single-day comparison is judged on what customers remember, with its cost
    assert re.search(r"(does best on remembered utility|No variant clearly raises)", bottom)
    for variant in ("more", "present"):
        assert f"<td>{variant}</td>" in bottom
    assert "staff cost" in bottom and "paired replication by replication" in bottom


def test_the_bottom_line_figures_are_the_comparison_s_paired_differences(
    experiment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    invoke("compare", experiment, "--out", out, "--metric", "service_level", *QUIET)
    page = render_report(out)
    bottom = page[page.index("Bottom line") : page.index("The scenario in words")]
    from peakend.analysis.registry import format_difference

    compare = json.loads((out / "summary.json").read_text())["scenarios"]["more"]["metrics"]
    diff = compare["service_level"]["difference"]
    assert format_difference("service_level", diff["mean"]) in bottom
    # staff cost is not a reported metric here, but the stored replications have it
    costs = json.loads((out / "summary.json").read_text())["cost_effectiveness"]
    staff = next(row["staff_cost_diff"] for row in costs if row["variant"] == "more")
    assert staff > 0 and format_difference("staff_cost", staff) in bottom


def test_a_manifest_key_never_leads_the_report_out_of_its_folder(
    experiment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    invoke("compare", experiment, "--out", out, *QUIET)
    (tmp_path / "secret.toml").write_text('name = "outside"\ndescription = "SECRET"\n')
    manifest = json.loads((out / "manifest.json").read_text())
    for spec in manifest["scenarios"]:
        spec["key"] = "../../secret"
    (out / "manifest.json").write_text(json.dumps(manifest))
    # The manifest is checked before anything is read through it: a key that is not a
    # hash peakend writes is refused in one line naming the manifest.
    with pytest.raises(OutputError, match="manifest.json: a scenario's 'key'") as refused:
        render_report(out)
    assert "SECRET" not in str(refused.value)


ROW = {"gain_unit": "percentage points", "gain_significant": True}


@pytest.mark.parametrize(
    ("gain", "cost", "clear", "words"),
    [
        (5.824, 5581.47, True, "€958 per pp gained"),
        (0.153, 22097.28, False, "– (no clear gain)"),  # the callback's retention
        (-9.83, 22097.28, True, "loses and costs more"),  # never "€0 per point"
        (-2.0, -80.0, True, "saves €40.00 per pp given up"),
        (2.0, -80.0, True, "gains and saves"),
        (2.0, 0.0, True, "gains at no extra cost"),
        (-2.0, 0.0, True, "loses and saves nothing"),
    ],
)
def test_cost_per_unit_of_gain_divides_the_cost_its_caption_names(
    gain: float, cost: float, clear: bool, words: str
) -> None:
    row = {**ROW, "gain_diff": gain, "gain_significant": clear, "total_cost_diff": cost,
           "staff_cost_diff": 0.0}  # fmt: skip
    assert cost_per_unit_of_gain(row, "total_cost_diff") == words


def test_the_cost_table_of_a_free_staffing_but_costly_recovery_variant(tmp_path: Path) -> None:
    """The issue's callback: no staff cost, +22,097 in other costs. The unit cost column
    divides all costs (as the caption says), never the staff cost alone."""
    import pandas as pd

    from peakend.output.report import _costs_section

    frame = pd.DataFrame(
        [
            {"variant": "callback", "gain_metric": "service_level", **ROW,
             "gain_diff": -9.83, "gain_diff_ci_low": -10.8, "gain_diff_ci_high": -8.9,
             "staff_cost_diff": 0.0, "agent_hours_diff": 0.0, "other_cost_diff": 22097.28,
             "total_cost_diff": 22097.28, "cost_per_point": 0.0,
             "total_cost_per_point": -2247.6},
        ]
    )  # fmt: skip
    section = _costs_section(frame, "€")
    assert "all costs (staff, recovery and extras) divided by the gain" in section
    assert "loses and costs more" in section
    assert "<td>€0</td>" not in section and "−€2,248" not in section  # no ratio of 0 staff cost


def test_the_bottom_line_sums_money_paid_out_and_agent_minutes_per_replication() -> None:
    """Recovery and extras are one column, their sum paired replication by replication;
    agent-minutes (where the records report them) are shown beside the money."""
    from peakend.output.report import _differences, _headline

    base = {r: {"profit": 100.0, "staff_cost": 50.0, "recovery_cost": 1.0 + r,
                "extras_cost": 2.0, "recovery_minutes": 10.0, "extras_minutes": 0.0}
            for r in range(4)}  # fmt: skip
    variant = {r: {**m, "profit": m["profit"] + 20 + r, "recovery_cost": m["recovery_cost"] + 3,
                   "recovery_minutes": 40.0 + r} for r, m in base.items()}  # fmt: skip
    found = _differences(variant, base)
    assert found["paid_out"].mean == pytest.approx(3.0)  # extras unchanged, coupons +3
    assert found["paid_out"].ci_low == found["paid_out"].ci_high  # +3 in every replication
    assert found["agent_minutes"].mean == pytest.approx(31.5)
    assert found["staff_cost"].mean == 0
    sentence = _headline({"callback": found}, "profit", "over the simulated day", "€")
    assert sentence.startswith("callback does best on profit: +€21.50 [")
    assert "+€3.00 recovery and extras cost" in sentence and "agent-minutes" in sentence
