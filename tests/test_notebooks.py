"""The tutorial notebooks (docs/tutorials/notebooks/) run, top to bottom, in a real kernel.

Each is copied into a temporary folder and executed there by nbclient with an IPython
kernel (the ``notebooks`` extra, part of ``test``): a cell that raises fails the test.
Outside CI, without the extra, the tests skip with their reason; in CI (``CI=true``)
they fail instead, so a missing install step cannot hide.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "docs" / "tutorials" / "notebooks").glob("*.ipynb"))


def _require(module: str):
    """The module; a skip without it, except in CI, where its absence is a failure."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module, reason="the notebooks extra (peakend[notebooks])")


def test_there_are_three_notebooks_committed_without_outputs():
    assert [path.stem for path in NOTEBOOKS] == [
        "01_first_run",
        "02_compare_and_sweep",
        "03_tables_for_excel",
    ]
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code, path.name
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name


def _outputs(book) -> list[dict]:
    return [output for cell in book.cells for output in cell.get("outputs", [])]


def _html(book) -> str:
    return "".join(
        "".join(output.get("data", {}).get("text/html", "")) for output in _outputs(book)
    )


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(notebook: Path, tmp_path: Path):
    nbformat = _require("nbformat")
    nbclient = _require("nbclient")
    _require("ipykernel")
    copy = tmp_path / notebook.name
    shutil.copy(notebook, copy)
    book = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    errors = [output for output in _outputs(book) if output.get("output_type") == "error"]
    assert errors == []
    html = _html(book)
    if notebook.stem == "01_first_run":
        assert "peakend-scenario" in html  # the scenario's table
        assert "<progress" in html  # the progress bar, drawn in the notebook
        assert 'class="peakend-result"' in html and "data:image/png;base64," in html
    if notebook.stem == "02_compare_and_sweep":
        texts = ["".join(output.get("data", {}).get("text/plain", "")) for output in _outputs(book)]
        assert "True" in texts  # the process pool's comparison equals the serial one
        assert "difference from base" in html
    if notebook.stem == "03_tables_for_excel":
        assert (tmp_path / "results" / "lunch.xlsx").is_file()
        assert (tmp_path / "results" / "lunch-csv" / "compare.csv").is_file()


def test_the_docs_show_run_result_html_as_it_is_made():
    """docs/notebooks.md shows RunResult._repr_html_: its heading and table header are
    what the code makes today (the rows are a real run's: contact_centre, 10 replications)."""
    import re

    from peakend import load_scenario, run_scenario

    page = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    scenario = load_scenario(ROOT / "configs" / "contact_centre.toml", ["run.replications=1"])
    html = run_scenario(scenario)._repr_html_()
    head = re.search(r"<thead>.*?</thead>", html, flags=re.S)
    assert head is not None
    assert head.group().replace("<tr>", "\n<tr>") in page
    assert '<div class="peakend-result"><p><strong>contact_centre</strong>: 10 of 10' in page
    assert "figures/intervals.png" in page
