"""Records streamed to files by the replications: the same tables, nothing left behind.

``peakend run --out`` streams a run's records when keeping them would take more than
:data:`~peakend.runs.simulate.STREAM_RECORDS_BYTES`: each replication, in whichever
process runs it, writes its blocks into journalled temporary files in the run folder,
and the command joins them into ``customers`` and ``contacts`` row group by row group.
These tests lower the threshold so that a small run streams, and compare it with the
same run kept in memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import tomli_w

import peakend.runs.simulate as simulation
from peakend.cli.main import main
from peakend.runs.records import PartWriter, join_parts
from peakend.runs.runner import run_scenario
from peakend.store.files import write_table

from conftest import mmc_data


def _config(tmp_path: Path, replications: int = 3) -> Path:
    config = tmp_path / "mmc.toml"
    data = mmc_data(arrival_rate=3.0, agents=4, mean_patience=2.0, horizon=600.0)
    data["run"]["replications"] = replications
    config.write_text(tomli_w.dumps(data))
    return config


def _run(monkeypatch: pytest.MonkeyPatch, stream: bool, *args: str) -> None:
    monkeypatch.setattr(simulation, "STREAM_RECORDS_BYTES", -1 if stream else 2**60)
    try:
        main(["run", *args, "-q"], prog_name="peakend")
    except SystemExit as exit_:
        assert exit_.code in (0, None)


@pytest.mark.parametrize(
    ("table_format", "workers"),
    [
        ("parquet", ["--workers", "2", "--force-workers"]),  # worker processes write
        pytest.param(  # Dask workers write (a local cluster starts in seconds)
            "parquet", ["--dask", "local", "--workers", "2"], marks=pytest.mark.slow
        ),
        ("csv", []),
    ],
    ids=["processes", "dask", "csv"],
)
def test_a_streamed_run_writes_the_tables_a_kept_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table_format: str, workers: list[str]
) -> None:
    config = _config(tmp_path)
    common = [str(config), "--format", table_format]
    _run(monkeypatch, False, *common, "--executor", "serial", "--out", str(tmp_path / "kept"))
    _run(monkeypatch, True, *common, *workers, "--out", str(tmp_path / "streamed"))
    kept, streamed = tmp_path / "kept", tmp_path / "streamed"
    for table in ("customers", "contacts"):
        name = f"{table}.{table_format}"
        if table_format == "csv":  # the same text, byte for byte
            assert (streamed / name).read_bytes() == (kept / name).read_bytes()
        else:
            a, b = pd.read_parquet(kept / name), pd.read_parquet(streamed / name)
            assert len(a) > 1000
            pd.testing.assert_frame_equal(b, a)
    for name in ("summary.json", "intervals.csv", f"traces.{table_format}"):
        assert (streamed / name).read_bytes() == (kept / name).read_bytes(), name
    # Nothing but the run's own files: no temporary part, no journal.
    assert sorted(os.listdir(streamed)) == sorted(os.listdir(kept))


def test_the_api_streams_into_the_files_it_is_given(tmp_path: Path) -> None:
    config = _config(tmp_path, replications=2)
    parts = {
        r: {t: str(tmp_path / f"{t}.{r}.parquet") for t in ("customers", "contacts")}
        for r in range(2)
    }
    kept = run_scenario(config)
    streamed = run_scenario(config, record_parts=parts)
    assert streamed.summary_dict() == kept.summary_dict()
    assert all(rep.customers.empty and rep.parts == parts[rep.replication]
               for rep in streamed.replications)  # fmt: skip
    pd.testing.assert_frame_equal(streamed.customers_frame(), kept.customers_frame())
    pd.testing.assert_frame_equal(streamed.contacts_frame(), kept.contacts_frame())
    columns = ["replication", "remembered_utility"]
    pd.testing.assert_frame_equal(streamed.customers_frame(columns), kept.customers_frame(columns))
    bare = run_scenario(config, keep_records=False)
    assert bare.summary_dict() == kept.summary_dict()
    assert bare.customers_frame().empty


def test_joined_parts_are_the_frames_written_whole(tmp_path: Path) -> None:
    frame = run_scenario(_config(tmp_path, replications=1)).customers_frame()
    writer = PartWriter({"customers": str(tmp_path / "part.parquet")})
    for start in range(0, len(frame), 700):  # row groups of 700 rows
        writer.add("customers", frame.iloc[start : start + 700].reset_index(drop=True))
    assert writer.close() == {"customers": str(tmp_path / "part.parquet")}
    join_parts([tmp_path / "part.parquet"] * 2, tmp_path / "joined.csv", "csv")
    write_table(tmp_path / "whole.csv", pd.concat([frame, frame], ignore_index=True))
    assert (tmp_path / "joined.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    with pytest.raises(ValueError, match="no record table named 'visits'"):
        PartWriter({"visits": str(tmp_path / "v.parquet")})


# A streamed run killed (os._exit, as kill -9 would) once its first replication has
# written its files: the journalled temporary files stay behind until the next run.
KILLED_AFTER_ONE_REPLICATION = """
import os, sys
import peakend.runs.runner as runner
import peakend.runs.simulate as simulation
simulation.STREAM_RECORDS_BYTES = -1
replicate = runner.replicate

def replicate_then_die(scenario, replication, **kwargs):
    result = replicate(scenario, replication, **kwargs)
    if replication == 1:
        os._exit(9)
    return result

runner.replicate = replicate_then_die
from peakend.cli.main import main
main(sys.argv[1:], prog_name="peakend")
"""


def test_a_killed_streamed_run_leaves_nothing_the_next_run_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    out = tmp_path / "out"
    _run(monkeypatch, False, str(config), "--out", str(out))  # a finished run to resume
    before = sorted(os.listdir(out))
    command = [sys.executable, "-c", KILLED_AFTER_ONE_REPLICATION, "run", str(config), "--out",
               str(out), "--executor", "serial", "-q"]  # fmt: skip
    env: dict[str, Any] = {**os.environ}
    killed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == 9, killed.stderr
    left = [name for name in os.listdir(out) if name.startswith((".customers.", ".contacts."))]
    assert len(left) == 6  # three replications' two files, made before anything ran
    assert any((out / name).stat().st_size > 0 for name in left)  # two were written
    _run(monkeypatch, True, str(config), "--out", str(out))
    assert sorted(os.listdir(out)) == before


def test_a_multi_period_replication_streams_its_records_day_by_day(tmp_path: Path) -> None:
    from peakend import load_scenario
    from peakend.runs.runner import replicate

    from conftest import ROOT

    scenario = load_scenario(
        ROOT / "configs" / "contact_centre_12_weeks.toml",
        ["retention.periods=2", "arrivals.rate_per_hour*=0.2", "retention.population*=0.2"],
    )
    files = {"customers": str(tmp_path / "c.parquet"), "contacts": str(tmp_path / "k.parquet")}
    kept, streamed = replicate(scenario, 0), replicate(scenario, 0, records=files)
    dropped = replicate(scenario, 0, records=False)
    assert kept.metrics == streamed.metrics == dropped.metrics
    assert streamed.parts == files and streamed.customers.empty and dropped.customers.empty
    for table in ("customers", "contacts"):
        pd.testing.assert_frame_equal(streamed.records(table), getattr(kept, table))
    import pyarrow.parquet as pq

    assert pq.ParquetFile(files["customers"]).num_row_groups >= 7  # a row group a day
