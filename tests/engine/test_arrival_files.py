"""Arrivals from data: counts per interval (a forecast) and timestamps (a replay)."""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest
import tomli_w

from peakend import ConfigError, load_scenario, simulate

SCENARIO = """
name = "from data"
[run]
seed = 3
[arrivals]
interval_minutes = 30
{arrivals}
[segments.a]
share = 0.5
[segments.b]
share = 0.5
[pools.agents]
staffing = [3, 3, 3]
"""


def _write(tmp_path, arrivals: str, name: str, text: str):
    (tmp_path / name).write_text(text)
    config = tmp_path / "scenario.toml"
    config.write_text(SCENARIO.format(arrivals=arrivals))
    return config


def test_counts_per_interval_become_the_rate_profile(tmp_path):
    config = _write(
        tmp_path,
        'counts_file = "forecast.csv"',
        "forecast.csv",
        "interval,count\n0,10\n1,25\n2,5\n",
    )
    scenario = load_scenario(config)
    assert scenario.arrivals.rate_per_hour == (20.0, 50.0, 10.0)


def test_timestamps_are_replayed_exactly_with_their_segments(tmp_path):
    text = "minutes,segment\n0.5,a\n3.25,b\n3.25,a\n70.0,b\n"
    config = _write(tmp_path, 'times_file = "calls.csv"', "calls.csv", text)
    scenario = load_scenario(config)
    assert scenario.intervals == 3  # the last arrival falls in the third interval
    out = simulate(scenario)
    assert out.customers["arrival_minutes"].tolist() == [0.5, 3.25, 3.25, 70.0]
    assert out.customers["segment"].tolist() == [0, 1, 0, 1]
    # Same file, another seed: the same customers (a replay draws no arrivals).
    again = simulate(load_scenario(config, ["run.seed=99"]))
    assert np.array_equal(again.customers["arrival_minutes"], out.customers["arrival_minutes"])


@pytest.mark.parametrize(
    ("arrivals", "name", "text", "message"),
    [
        (
            'counts_file = "f.csv"',
            "f.csv",
            "interval,count\n0,10\n2,5\n",
            "line 3, column 1 ('interval')",
        ),
        ('counts_file = "f.csv"', "f.csv", "interval,count\n0,-1\n", "line 2, column 2 ('count')"),
        ('counts_file = "f.csv"', "f.csv", "interval,amount\n0,1\n", "line 1: no column 'count'"),
        ('times_file = "t.csv"', "t.csv", "minutes\n5\n2\n", "line 3, column 1 ('minutes')"),
        ('times_file = "t.csv"', "t.csv", "minutes\nsoon\n", "line 2, column 1 ('minutes')"),
        (
            'times_file = "t.csv"',
            "t.csv",
            "minutes,segment\n1,c\n70,a\n",
            "line 2, column 2 ('segment'): not a segment",
        ),
        ('times_file = "missing.csv"', "other.csv", "minutes\n1\n", "file not found"),
    ],
)
def test_a_bad_arrival_file_is_one_error_naming_file_line_and_column(
    tmp_path, arrivals, name, text, message
):
    config = _write(tmp_path, arrivals, name, text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_scenario(config)


# ------------------------------------------------------------------ untrusted files

SECRET = "peakend-unit-secret-93b1"


def _times_scenario(tmp_path, path: str, folder: str = "scn"):
    """A scenario in ``tmp_path/folder`` whose times_file is ``path``."""
    where = tmp_path / folder
    where.mkdir(exist_ok=True)
    config = where / "scenario.toml"
    config.write_text(SCENARIO.format(arrivals=f"times_file = {path!r}"))
    return config


VALID = "minutes,segment\n0.5,a\n70,b\n"


@pytest.mark.parametrize("path", ["t.csv", "./t.csv", "data/t.csv", "data/../t.csv", "{scn}/t.csv"])
def test_a_file_inside_the_scenario_folder_is_read(tmp_path, path: str) -> None:
    scn = tmp_path / "scn"
    (scn / "data").mkdir(parents=True)
    (scn / "t.csv").write_text(VALID)
    (scn / "data" / "t.csv").write_text(VALID)
    config = _times_scenario(tmp_path, path.format(scn=scn))
    assert load_scenario(config).arrivals.times == (0.5, 70.0)


@pytest.mark.parametrize(
    "path", ["../outside/t.csv", "{outside}/t.csv", "link.csv", "linked/t.csv", "/etc/passwd"]
)
def test_a_file_outside_the_scenario_folder_is_refused(tmp_path, path: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.csv").write_text(VALID)
    config = _times_scenario(tmp_path, path.format(outside=outside))
    (tmp_path / "scn" / "link.csv").symlink_to(outside / "t.csv")
    (tmp_path / "scn" / "linked").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside the scenario's folder") as error:
        load_scenario(config)
    assert "arrivals.times_file" in str(error.value) and "root:" not in str(error.value)


def test_a_folder_the_user_names_is_allowed(tmp_path, monkeypatch) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.csv").write_text(VALID)
    config = _times_scenario(tmp_path, "../outside/t.csv")
    assert load_scenario(config, data_dirs=[outside]).arrivals.times == (0.5, 70.0)
    monkeypatch.setenv("PEAKEND_DATA_DIRS", f"/nowhere{os.pathsep}{outside}")
    assert load_scenario(config).arrivals.times == (0.5, 70.0)
    # The scenario file itself cannot allow it: the variable is the user's, not the file's.
    monkeypatch.delenv("PEAKEND_DATA_DIRS")
    with pytest.raises(ConfigError, match="outside"):
        load_scenario(config)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/zero", "pseudo-file"),
        ("/proc/self/environ", "pseudo-file"),
        ("env.csv", "pseudo-file"),  # a link to /proc/self/environ
        ("pipe.csv", "is a named pipe"),
        ("data", "is a directory"),
    ],
)
def test_pseudo_files_pipes_and_folders_are_refused_without_reading(
    tmp_path, monkeypatch, path: str, message: str
) -> None:
    monkeypatch.setenv("PEAKEND_UNIT_SECRET", SECRET)
    monkeypatch.setenv("PEAKEND_DATA_DIRS", "/")  # allowing everything does not allow these
    config = _times_scenario(tmp_path, path)
    os.mkfifo(tmp_path / "scn" / "pipe.csv")
    (tmp_path / "scn" / "data").mkdir()
    (tmp_path / "scn" / "env.csv").symlink_to("/proc/self/environ")
    started = time.process_time()
    with pytest.raises(ConfigError, match=message) as error:
        load_scenario(config)
    # CPU time, not wall time (steady on a busy machine): reading /dev/zero to a limit
    # or parsing the environment would show; a refusal costs milliseconds.
    assert time.process_time() - started < 0.5
    assert SECRET not in str(error.value)


def test_size_line_and_row_limits_are_checked_before_parsing(tmp_path, monkeypatch) -> None:
    from peakend.config import arrival_files

    config = _times_scenario(tmp_path, "t.csv")
    file = tmp_path / "scn" / "t.csv"
    monkeypatch.setattr(arrival_files, "MAX_REPLAYED_ARRIVALS", 3)
    file.write_text("minutes\n1\n31\n61\n")  # three arrivals, one in each interval
    assert len(load_scenario(config).arrivals.times) == 3
    file.write_text("minutes\n1\n31\n61\n62\n")
    with pytest.raises(ConfigError, match="5 lines, more than the limit of a header and 3 rows"):
        load_scenario(config)
    monkeypatch.setattr(arrival_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(ConfigError, match="larger than the limit"):
        load_scenario(config)
    monkeypatch.undo()
    file.write_text("minutes\n1\n" + "9" * 1_001 + "\n")
    with pytest.raises(ConfigError, match="line 3: longer than 1,000 bytes"):
        load_scenario(config)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1e999", "too large"),
        ("-1", "negative"),
        ("0x1f", "not a number"),
        ("1_0", "not a number"),
        ("  ", "empty"),  # blanks in a one-column file; a blank line is skipped
        (SECRET, "not a number"),
        ("3e9", "at or after the end of the day (90 minutes)"),
        ("1e308", "at or after the end of the day"),
    ],
)
def test_every_number_is_checked_for_range_and_never_quoted(
    tmp_path, cell: str, problem: str
) -> None:
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", f"minutes\n1\n{cell}\n")
    config.write_text(
        config.read_text().replace("[arrivals]", "[arrivals]\nrate_per_hour = [1, 1, 1]")
    )
    with pytest.raises(ConfigError, match=re.escape(problem)) as error:
        load_scenario(config)
    assert "line 3, column 1 ('minutes')" in str(error.value)
    if cell.strip():
        assert cell not in str(error.value).split(": ", 1)[1].replace("3e+06", "")


def test_a_time_past_the_longest_day_is_refused_before_anything_is_sized(tmp_path) -> None:
    # No rate_per_hour: the times set the day, up to 100,000 intervals. 1e308 minutes
    # would have made a profile of 10^306 intervals.
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", "minutes\n1\n1e308\n")
    with pytest.raises(ConfigError, match=r"line 3.*end of the longest day \(100,000 intervals\)"):
        load_scenario(config)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty; expected a header line 'minutes'"),
        (b"minutes\n", "no arrivals"),
        ("minutes\n1\n".encode("utf-16"), "UTF-16"),
        (b"minutes\n1\x00\n", "line 2, column 2: binary data"),
        (b"minutes\n\xe9\n", "line 2, column 1: not UTF-8"),
        (f"{SECRET}\n1\n".encode(), "line 1: no column 'minutes'"),
        (b'minutes\n"1\n', "not valid CSV"),
        (f"minutes,segment\n1,{SECRET}\n".encode(), "line 2, column 2 ('segment'): not a segment"),
        (b"minutes,segment\n1,a\n2,\n", "line 3, column 2 ('segment'): empty"),
    ],
)
def test_encodings_and_shapes_are_located_and_never_quoted(
    tmp_path, content: bytes, message: str
) -> None:
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", "")
    (tmp_path / "t.csv").write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        load_scenario(config)
    assert SECRET not in str(error.value)


def test_crlf_a_byte_order_mark_and_blank_lines_are_read(tmp_path) -> None:
    text = "\ufeffminutes,segment\r\n\r\n0.5,a\r\n70,b\r\n\r\n"
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", "")
    (tmp_path / "t.csv").write_bytes(text.encode("utf-8"))
    scenario = load_scenario(config)
    assert scenario.arrivals.times == (0.5, 70.0)
    assert scenario.arrivals.times_segment == ("a", "b")


def test_counts_are_bounded_and_in_order(tmp_path) -> None:
    config = _write(tmp_path, 'counts_file = "f.csv"', "f.csv", "interval,count\n0,1\n1,2e9\n")
    with pytest.raises(ConfigError, match=r"line 3, column 2 \('count'\): more than 1,000,000,000"):
        load_scenario(config)
    (tmp_path / "f.csv").write_text("interval,count\n0,1\n1.5,2\n")
    with pytest.raises(ConfigError, match=r"line 3, column 1 \('interval'\): expected 1"):
        load_scenario(config)


@pytest.mark.parametrize("interval", ["-5", "0", '"soon"', "true", "inf"])
def test_a_bad_interval_beside_an_arrival_file_is_one_error(tmp_path, interval: str) -> None:
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", "minutes\n1\n")
    text = config.read_text().replace("interval_minutes = 30", f"interval_minutes = {interval}")
    config.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_scenario(config)
    assert str(error.value).count("\n") == 0
    assert "arrivals.interval_minutes" in str(error.value)


def test_a_duration_interval_reads_the_file(tmp_path) -> None:
    config = _write(tmp_path, 'counts_file = "f.csv"', "f.csv", "interval,count\n0,10\n1,2\n2,5\n")
    config.write_text(
        config.read_text().replace("interval_minutes = 30", 'interval_minutes = "1h"')
    )
    assert load_scenario(config).arrivals.rate_per_hour == (10.0, 2.0, 5.0)


def test_rows_are_read_in_chunks_with_the_same_result_and_lines(tmp_path, monkeypatch) -> None:
    from peakend.config import arrival_files

    text = "minutes,segment\n" + "".join(f"{i * 0.5},{'ab'[i % 2]}\n" for i in range(170))
    config = _write(tmp_path, 'times_file = "t.csv"', "t.csv", text)
    whole = load_scenario(config)
    monkeypatch.setattr(arrival_files._Table, "CHUNK_ROWS", 7)
    chunked = load_scenario(config)
    assert chunked.arrivals.times == whole.arrivals.times
    assert chunked.arrivals.times_segment == whole.arrivals.times_segment
    # An error in a later chunk names its own line (blank lines counted as lines).
    (tmp_path / "t.csv").write_text(text.replace("\n40.0,a\n", "\n\n40.0,a\n-1,a\n", 1))
    with pytest.raises(ConfigError, match=re.escape("line 84, column 1 ('minutes'): negative")):
        load_scenario(config)
    counts = "interval,count\n" + "".join(f"{i},1\n" for i in range(3)) + "5,1\n"
    config = _write(tmp_path, 'counts_file = "f.csv"', "f.csv", counts)
    with pytest.raises(ConfigError, match=re.escape("line 5, column 1 ('interval'): expected 3")):
        load_scenario(config)


@pytest.mark.parametrize("path", ["", "  ", "a\nb.csv", "\x1b[2Jt.csv", "t\x00.csv", "t\x7f.csv"])
def test_a_path_with_control_characters_cannot_forge_a_line(tmp_path, path: str) -> None:
    config = _write(tmp_path, f"times_file = {tomli_w.dumps({'x': path})[4:]}", "t.csv", VALID)
    with pytest.raises(ConfigError, match="expected a file name") as error:
        load_scenario(config)
    assert "\n" not in str(error.value) and "\x1b" not in str(error.value)


def test_an_experiment_reads_its_base_scenario_arrival_files(tmp_path) -> None:
    # The base's files are relative to the base's folder, under the same rules.
    from peakend.experiments.design import load_experiment

    (tmp_path / "calls.csv").write_text("minutes,segment\n0.5,a\n70,b\n")
    _write(tmp_path, 'times_file = "calls.csv"', "unused.csv", "")
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nbase = "scenario.toml"\nreplications = 2\n'
        '[variants.more]\nset = ["pools.agents.staffing+=1"]\n'
    )
    experiment = load_experiment(tmp_path / "exp.toml")
    assert experiment.base.arrivals.times == (0.5, 70.0)
    (tmp_path / "scenario.toml").write_text(
        (tmp_path / "scenario.toml").read_text().replace("calls.csv", "/etc/passwd")
    )
    with pytest.raises(ConfigError, match="outside the scenario's folder"):
        load_experiment(tmp_path / "exp.toml")
