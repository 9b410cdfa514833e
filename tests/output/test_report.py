"""``peakend report``: one self-contained HTML page per run, comparison or sweep directory,
checked in headless Chromium (every image loads, no script error)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import check_in_browser as _check_in_browser
from click.testing import CliRunner

from peakend.cli.main import main
from peakend.output.report import ReportError, render_report, write_report

KINDS = ["run_dir", "periods_dir", "compare_dir", "sweep_dir"]


def _pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png")) + sorted((folder / "plots").glob("*.png"))


@pytest.mark.parametrize("kind", KINDS)
def test_the_report_is_one_self_contained_page(kind, request) -> None:
    folder = request.getfixturevalue(kind)
    page = render_report(folder)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page) is None
    assert "<script" not in page
    images = re.findall(r'<img src="data:image/png;base64,', page)
    assert len(images) == len(_pngs(folder)) > 0
    for heading in ("The scenario in words", "Assumptions and their sources", "Plots"):
        assert heading in page
    assert "Tversky &amp; Kahneman 1992" in page  # the source on the schema field
    assert "n = 2 replications" in page
    assert "only 2 replications" in page  # the summary's warning is shown


def test_a_comparison_report_shows_variants_in_words_and_judged_differences(compare_dir) -> None:
    page = render_report(compare_dir)
    assert "three more agents 12:00-14:00" in page  # the variant's description
    for label in ("Service level", "Remembered utility", "Retention", "Profit"):
        assert f">{label}<" in page
    assert re.search(r"[+−]\d[\d.,]* pp", page)  # a share's difference in points
    assert "€" in page
    assert re.search(r'class="(better|worse|unclear)"', page)
    assert "What each gain costs" in page  # cost_effectiveness.csv beside the gains


def test_a_run_report_formats_metrics_by_kind(run_dir) -> None:
    page = render_report(run_dir)
    assert re.search(r"<td>\d+(\.\d+)? %</td>", page)  # a share as a percentage
    assert re.search(r"<td>\d[\d.]* min</td>", page)  # a wait in minutes
    assert "Data dictionary" in page and "first_contact_resolved" in page


def test_write_report_and_the_command_line(tmp_path, run_dir) -> None:
    assert (
        write_report(run_dir, tmp_path / "r.html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )
    result = CliRunner().invoke(main, ["report", str(run_dir), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x.html").stat().st_size > 10_000
    assert "report written to" in result.output


def test_a_folder_that_is_not_a_run_is_refused(tmp_path) -> None:
    with pytest.raises(ReportError, match="no manifest.json"):
        render_report(tmp_path)
    result = CliRunner().invoke(main, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_the_report_renders_in_headless_chromium(compare_dir, tmp_path) -> None:
    result = _check_in_browser(render_report(compare_dir), tmp_path)
    assert result["images"] == len(_pngs(compare_dir)) > 0
    assert result["broken"] == []
    assert result["errors"] == []


def test_the_browser_check_sees_a_broken_image_and_a_script_error(tmp_path) -> None:
    page = (
        "<!DOCTYPE html><html><head></head><body>"
        '<img alt="broken" src="data:image/png;base64,AAAA"><script>no_such_function()</script>'
        "</body></html>"
    )
    result = _check_in_browser(page, tmp_path)
    assert result["broken"] == ["broken"]
    assert any("no_such_function" in error for error in result["errors"])


def test_a_sweep_report_says_what_it_varies_and_shows_the_plotted_metrics_first(sweep_dir) -> None:
    page = render_report(sweep_dir)
    assert "the sweep varies staffing_scale = 0.7, 0.85, 1.0, 1.15, 1.3" in page
    first_details = page.index("<details><summary>the other")
    assert page.index("<h3>Retention</h3>") < first_details < page.index("<h3>Customers</h3>")
