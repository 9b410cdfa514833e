"""``peakend export``: an Excel workbook and CSVs in a local dialect, guarded against formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from peakend.base.names import spreadsheet_text
from peakend.cli.main import main
from peakend.experiments.api import load_experiment, run_experiment
from peakend.output.export import export_folder, export_tables

from conftest import ROOT, mmc

openpyxl = pytest.importorskip("openpyxl", reason="the excel extra (peakend[excel])")

# The quickstart's comparison (experiments/quickstart.toml: its variants, metrics and
# multi-period profit split), cut to two one-day periods and two replications.
SMALL = [
    "retention.periods=2",
    "retention.days_per_period=1",
    "retention.day_load=[1.0]",
    'retention.period_name="day"',
]


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "quickstart"
    experiment = load_experiment(ROOT / "experiments" / "quickstart.toml", SMALL)
    run_experiment(experiment, "compare", replications=2, out=out)
    return out


def test_the_quickstart_comparison_reads_back_from_xlsx_with_units(quickstart_run, tmp_path):
    book = export_folder(quickstart_run, "xlsx", tmp_path / "quickstart.xlsx")
    sheets = pd.read_excel(book, sheet_name=None)
    assert {"compare", "cost_effectiveness", "data_dictionary"} <= set(sheets)
    compare = sheets["compare"]
    assert list(compare.columns[:4]) == ["variant", "metric", "unit", "mean (see unit)"]
    assert "diff (see unit)" in compare.columns and "n (count)" in compare.columns
    original = pd.read_csv(quickstart_run / "compare.csv")
    assert compare["variant"].tolist() == original["variant"].tolist()
    assert compare["mean (see unit)"].tolist() == pytest.approx(original["mean"].tolist())
    units = dict(zip(compare["metric"], compare["unit"], strict=False))
    assert units["service_level"] == "share (0-1)"
    assert units["mean_wait_minutes"] == "minutes"
    assert units["profit"] == "currency"
    assert set(compare["variant"]) == {"base", "lunch_plus_3", "callback"}


def test_a_semicolon_csv_with_decimal_commas_reads_back(quickstart_run, tmp_path):
    folder = export_folder(quickstart_run, "csv", tmp_path / "csv", sep=";", decimal=",")
    raw = (folder / "compare.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte order mark, for Excel
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:4] == ["variant", "metric", "unit", "mean (see unit)"]
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",")
    original = pd.read_csv(quickstart_run / "compare.csv")
    assert back["mean (see unit)"].tolist() == original["mean"].tolist()  # exact: repr digits
    first = next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=";"))
    assert "," in first[3] and "." not in first[3]  # 0,8123..., not 0.8123...


def test_the_command_line_exports_beside_the_folder(quickstart_run):
    result = CliRunner().invoke(main, ["export", str(quickstart_run)])
    assert result.exit_code == 0, result.output
    assert (quickstart_run.parent / "quickstart.xlsx").is_file()
    again = CliRunner().invoke(main, ["export", str(quickstart_run)])
    assert again.exit_code == 2 and "exists" in again.output and "--overwrite" in again.output
    replaced = CliRunner().invoke(main, ["export", str(quickstart_run), "--overwrite"])
    assert replaced.exit_code == 0


@pytest.mark.parametrize(
    ("sep", "decimal"), [(",", ","), ("x", "."), (";", ";")], ids=["same", "sep", "decimal"]
)
def test_a_bad_dialect_is_refused(quickstart_run, tmp_path, sep, decimal):
    with pytest.raises(ValueError, match="separator|decimal mark"):
        export_folder(quickstart_run, "csv", tmp_path / "x", sep=sep, decimal=decimal)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\\tx"),
        ("lunch_plus_3", "lunch_plus_3"),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_text_guards_a_formula_start(text, shown):
    assert spreadsheet_text(text) == shown


def test_names_that_start_a_formula_are_text_in_both_exports(tmp_path):
    experiment = load_experiment_from_scenario(tmp_path)
    out = tmp_path / "run"
    run_experiment(experiment, "compare", replications=2, out=out)
    tables = export_tables(out)
    assert "'-2+3" in set(tables["compare"]["variant"])
    book = export_folder(out, "xlsx", tmp_path / "x.xlsx")
    sheet = openpyxl.load_workbook(book)["compare"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == "'-2+3"]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    folder = export_folder(out, "csv", tmp_path / "csv")
    rows = csv.DictReader(io.StringIO((folder / "compare.csv").read_text("utf-8-sig")))
    assert {row["variant"] for row in rows} == {"base", "'-2+3"}  # numbers stay numbers


def load_experiment_from_scenario(tmp_path: Path):
    """An experiment whose variant's name starts a formula (a variant's name may hold
    letters, digits and ``_ . + -``: ``-2+3`` is one; Excel would compute it)."""
    from peakend.experiments.design import Experiment

    scenario = mmc(arrival_rate=1.0, agents=2, horizon=60.0, warmup=0.0)
    return Experiment.from_scenario(scenario, {"-2+3": ["pools.agents.staffing+=1"]})


def test_a_single_run_exports_its_summary_with_units(tmp_path):
    from peakend import run_scenario
    from peakend.output.files import run_identity, write_run
    from peakend.store.rundir import RunDirectory

    result = run_scenario(scenario_from_mmc(), 3)
    with RunDirectory(tmp_path / "run", run_identity(result.scenario)) as folder:
        write_run(result, folder, "csv")
    sheets = pd.read_excel(export_folder(tmp_path / "run", "xlsx"), sheet_name=None)
    assert "customers" not in sheets and "replications" in sheets  # records left out
    summary = sheets["summary"]
    assert list(summary.columns) == [
        "metric",
        "unit",
        "mean (see unit)",
        "ci_low (see unit)",
        "ci_high (see unit)",
        "n (count)",
    ]
    row = summary[summary["metric"] == "mean_wait_minutes"].iloc[0]
    assert row["unit"] == "minutes"
    assert row["mean (see unit)"] == pytest.approx(result.summary["mean_wait_minutes"].mean)
    with_records = export_folder(tmp_path / "run", "xlsx", tmp_path / "all.xlsx", records=True)
    assert "customers" in pd.read_excel(with_records, sheet_name=None)


def scenario_from_mmc():
    from peakend import scenario_from_dict

    from conftest import mmc_data

    return scenario_from_dict(mmc_data(arrival_rate=1.0, agents=2, horizon=60.0, warmup=0.0))


def test_the_workbook_without_openpyxl_names_the_extra(quickstart_run, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    result = CliRunner().invoke(main, ["export", str(quickstart_run), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "pip install 'peakend[excel]'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_a_folder_that_is_not_a_run_is_refused_in_one_line(tmp_path):
    missing = CliRunner().invoke(main, ["export", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not a folder" in missing.output
    empty = CliRunner().invoke(main, ["export", str(tmp_path), "--to", "csv"])
    assert empty.exit_code == 2 and "no tables to export" in empty.output
