# ruff: noqa: E501  (the log below is a table: one row a line, with its comment)
"""Reading a contact log: a hand-written Anonymous Bank log with every case, read with
the expected counts, uses and drops; malformed files refused in one line."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from peakend.base.errors import ConfigError
from peakend.calibration import logs
from peakend.calibration.calibrate import calibrate
from peakend.calibration.contacts import follow_ups, mark_follow_ups
from peakend.calibration.logformat import PRESETS, load_format
from peakend.calibration.logs import LogError, read_log

HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
    "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server"
)
NO = "0:00:00,0:00:00,0,NO_SERVER"
# Each row's comment says what it covers; the expectations below count them.
ROWS = [
    "AA0101,1,101,2,PS,990104,7:10:00,7:10:20,20,7:10:20,7:11:20,60,AGENT,7:11:20,7:15:20,240,ANNA",  # served, 1 min
    "AA0101,2,102,1,PS,990104,7:12:00,7:12:10,10,7:12:10,7:12:10,0,AGENT,7:12:10,7:14:10,120,BEN",  # zero wait
    "AA0102,3,0,0,PS,990104,7:13:00,7:13:05,5,0:00:00,0:00:00,0,AGENT,7:13:05,7:16:05,180,CARL",  # straight to an agent, anonymous
    f"AA0102,4,103,1,PS,990104,7:20:00,7:20:15,15,7:20:15,7:22:15,120,HANG,{NO}",  # abandoned after 2 min
    "AA0103,5,103,1,PS,990104,7:30:00,7:30:10,10,7:30:10,7:31:10,60,AGENT,7:31:10,7:35:10,240,BEN",  # redial of 103
    f"AA0103,6,104,1,NE,990104,7:40:00,7:40:30,30,7:40:30,7:40:30,0,HANG,{NO}",  # abandoned at once
    f"AA0104,7,105,1,PS,990104,7:41:00,7:42:00,60,0:00:00,0:00:00,0,HANG,{NO}",  # ended in the IVR
    f"AA0104,8,0,0,PS,990104,7:43:00,7:43:30,30,0:00:00,0:00:00,0,HANG,{NO}",  # ended in the IVR
    f"AA0105,9,0,0,PS,990104,7:44:00,7:44:01,1,0:00:00,0:00:00,0,PHANTOM,{NO}",  # dropped: phantom
    "AA0105,10,106,1,NE,990104,8:00:00,8:00:20,20,8:00:20,8:03:20,180,AGENT,8:03:20,8:09:20,360,CARL",
    "AA0106,11,101,2,PS,990104,9:00:00,9:00:10,10,9:00:10,9:00:40,30,AGENT,9:00:40,9:02:40,120,ANNA",  # repeat of 101
    "AA0106,12,107,1,PS,990104,9:10:00,9:10:10,10,9:10:10,9:11:10,60,AGENT,9:11:10,9:13:10,120,NO_SERVER",  # dropped: no agent
    "AA0107,13,108,1,IN,990104,9:20:00,9:20:30,30,9:20:30,9:21:00,30,AGENT,9:21:00,9:29:00,480,DANA",
    f"AA0107,14,109,1,IN,990104,9:30:00,9:30:30,30,9:30:30,9:35:30,300,HANG,{NO}",  # abandoned after 5 min
    "AA0108,15,110,1,PS,990104,23:59:30,23:59:40,10,23:59:40,0:00:50,70,AGENT,0:00:50,0:04:50,240,BEN",  # overnight
    f"AA0108,16,111,1,PS,990104,10:00:00,10:00:10,10,10:00:10,10:00:15,5,HANG,{NO}",  # abandoned after 5 s
    "AA0101,17,112,1,TT,990104,10:05:00,10:05:00,0,10:05:00,10:06:00,60,AGENT,10:06:00,10:08:00,120,ANNA",  # a rare type
    "AA0101,18,103,1,PS,990105,8:00:00,8:00:10,10,8:00:10,8:01:10,60,AGENT,8:01:10,8:04:10,180,ANNA",  # 103 the next day: beyond the repeat window
    f"AA0101,19,113,1,PS,990105,8:05:00,8:05:10,10,8:05:10,8:06:40,90,HANG,{NO}",
    f"AA0101,20,113,1,PS,990105,8:20:00,8:20:10,10,8:20:10,8:20:40,30,HANG,{NO}",  # redial, abandoned again
    "AA0101,21,113,1,PS,990105,8:30:00,8:30:10,10,8:30:10,8:30:20,10,AGENT,8:30:20,8:33:20,180,BEN",  # redial, served
    "AA0102,22,114,1,NE,990105,8:40:00,8:40:10,10,8:40:10,8:41:10,60,AGENT,8:41:10,8:41:10,0,CARL",  # service of 0 s
    f"AA0102,23,0,0,IN,990105,8:50:00,8:51:00,60,0:00:00,0:00:00,0,HANG,{NO}",  # ended in the IVR
    "AA0102,24,115,1,IN,990105,9:00:00,9:00:10,10,9:00:10,9:00:10,0,AGENT,9:00:10,9:05:10,300,DANA",
    "AA0103,25,116,1,PS,990105,9:10:00,9:10:10,10,9:10:10,9:12:10,120,AGENT,9:12:10,9:11:00,0,BEN",  # dropped: out of order
    "AA0103,26,117,1,PS,,9:15:00,9:15:10,10,9:15:10,9:16:10,60,AGENT,9:16:10,9:18:10,120,BEN",  # dropped: no date
    f"AA0104,27,118,1,PS,990105,9:20:00,9:20:05,5,9:20:05,,0,HANG,{NO}",  # dropped: no queue exit
]


@pytest.fixture
def hand_log(tmp_path: Path) -> Path:
    path = tmp_path / "bank.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def test_hand_written_log_counts_uses_and_drops(hand_log: Path) -> None:
    log = read_log(hand_log, PRESETS["anonymous_bank"])
    assert log.rows_read == 27
    assert log.dropped == {
        "marked to be ignored by the log (e.g. a PHANTOM call)": 1,
        "served, but no agent": 1,
        "a wait or service longer than 12 hours (times out of order)": 1,
        "no date": 1,
        "queued, but no time of leaving the queue": 1,
    }
    assert log.rows_used == 22
    frame = log.frame
    assert frame["outcome"].value_counts().to_dict() == {
        "served": 13,
        "abandoned": 6,
        "ivr_only": 3,
    }
    by_call = frame.set_index("line")
    # Line numbers count the header: call k is on line k + 1.
    assert by_call.loc[3, "wait"] == 0  # queued, answered at once
    assert by_call.loc[4, "wait"] == 0 and by_call.loc[4, "customer"] == ""  # never queued
    assert by_call.loc[4, "queue_entry"] == pytest.approx(7 * 60 + 13 + 5 / 60)
    assert by_call.loc[7, "wait"] == 0 and by_call.loc[7, "outcome"] == "abandoned"
    assert by_call.loc[17, "wait"] == pytest.approx(5 / 60)
    assert math.isnan(by_call.loc[8, "wait"])  # IVR only
    overnight = by_call.loc[16]
    assert overnight["queue_entry"] == pytest.approx(23 * 60 + 59 + 40 / 60)
    assert overnight["wait"] == pytest.approx(70 / 60)
    assert overnight["service_start"] == pytest.approx(1440 + 50 / 60)
    assert overnight["service_minutes"] == pytest.approx(4.0)
    assert by_call.loc[23, "service_minutes"] == 0


def test_hand_written_log_redials_and_repeats(hand_log: Path) -> None:
    frame = read_log(hand_log, PRESETS["anonymous_bank"]).frame
    queued = frame[frame["outcome"] != "ivr_only"]
    marked = mark_follow_ups(queued, 120.0, 1440.0)
    assert sorted(marked.loc[marked["is_redial"], "line"]) == [6, 21, 22]
    assert sorted(marked.loc[marked["is_repeat"], "line"]) == [12]
    result = follow_ups(marked, 120.0, 1440.0)
    # Abandoned with a customer id and two hours before the day's last queue arrival
    # (day 1: 23:59:40, day 2: 9:00:10): calls 4, 6, 14 and 16; calls 19 and 20
    # (8:06:40, 8:20:40) are too late to show a redial and are left out.
    assert result.abandoned_seen == 4
    assert result.redialled == 1  # call 4, redialled by call 5
    assert result.redial_delays == pytest.approx([7 * 60 / 60 + 55 / 60])
    assert result.without_customer == 1


def test_hand_written_log_calibrates(hand_log: Path) -> None:
    calibration = calibrate(read_log(hand_log, PRESETS["anonymous_bank"]))
    assert set(calibration.types) == {"IN", "NE", "PS", "TT"}
    assert calibration.types["PS"].ivr_only == 2
    # Few contacts of each type: the fits of all types pooled are used and said so.
    assert calibration.types["TT"].service_pooled
    assert calibration.types["TT"].notes
    assert calibration.used["service times (served, longer than 0 s)"] == 12


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ROWS[0].replace("7:11:20,60", "7:1x:20,60"),
            "line 2, column 11 ('q_exit'): not a time of day",
        ),
        (ROWS[0].replace(",990104,", ",99-01-04,"), "line 2, column 6 ('date'): not a date"),
        (ROWS[0].replace("AGENT", "SERVED"), "line 2, column 13 ('outcome'): an outcome"),
        (",".join(ROWS[0].split(",")[:12]), "line 2, column 13 ('outcome'): missing"),
        (ROWS[0].replace(",7:10:00,", ',"7:10:00,'), "line 2"),
    ],
)
def test_malformed_log_is_one_line_naming_line_and_column(
    tmp_path: Path, row: str, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, row]) + "\n", encoding="utf-8")
    with pytest.raises(LogError) as error:
        read_log(path, PRESETS["anonymous_bank"])
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_missing_column_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER.replace("q_exit", "q_out") + "\n" + ROWS[0] + "\n", encoding="utf-8")
    with pytest.raises(LogError, match="line 1: no column 'q_exit'"):
        read_log(path, PRESETS["anonymous_bank"])


def test_refuses_what_is_not_a_regular_file_and_oversized_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hand_log: Path
) -> None:
    with pytest.raises(LogError, match="is a directory"):
        read_log(tmp_path, PRESETS["anonymous_bank"])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(LogError, match="not a regular file"):
        read_log(fifo, PRESETS["anonymous_bank"])
    with pytest.raises(LogError, match="pseudo-file"):
        read_log("/dev/zero", PRESETS["anonymous_bank"])
    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 100)
    with pytest.raises(LogError, match="larger than the limit"):
        read_log(hand_log, PRESETS["anonymous_bank"])
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"a,b\n\x00\x01")
    with pytest.raises(LogError, match="line 2: binary data"):
        read_log(binary, PRESETS["anonymous_bank"])


def test_parquet_and_tab_separated_logs_read_alike(tmp_path: Path, hand_log: Path) -> None:
    expected = read_log(hand_log, PRESETS["anonymous_bank"]).frame
    table = pd.read_csv(hand_log, dtype=str, keep_default_na=False)
    table.to_parquet(tmp_path / "bank.parquet")
    parquet = read_log(tmp_path / "bank.parquet", PRESETS["anonymous_bank"]).frame
    table.to_csv(tmp_path / "bank.tsv", sep="\t", index=False)
    tabbed = read_log(tmp_path / "bank.tsv", PRESETS["anonymous_bank"]).frame
    for other in (parquet, tabbed):
        for column in ("wait", "service_minutes", "queue_entry"):
            np.testing.assert_allclose(other[column], expected[column], equal_nan=True)
        assert other["outcome"].tolist() == expected["outcome"].tolist()


def test_custom_format_from_toml(tmp_path: Path) -> None:
    spec = tmp_path / "acd.toml"
    spec.write_text(
        'times = "timestamp"\n[columns]\ntype = "queue"\narrival = "offered"\n'
        'queue_entry = "queued"\nqueue_exit = "left"\noutcome = "result"\n'
        'service_start = "answered"\nservice_end = "released"\nagent = "login"\n'
        '[outcomes]\nOK = "served"\nABN = "abandoned"\n',
        encoding="utf-8",
    )
    path = tmp_path / "acd.csv"
    path.write_text(
        "queue,offered,queued,left,result,answered,released,login\n"
        "sales,2024-03-04 09:00:00,2024-03-04 09:00:20,2024-03-04 09:01:20,OK,"
        "2024-03-04 09:01:20,2024-03-04 09:05:20,a1\n"
        "sales,2024-03-04 09:02:00,2024-03-04 09:02:10,2024-03-04 09:02:40,ABN,,,\n",
        encoding="utf-8",
    )
    frame = read_log(path, load_format(spec)).frame
    assert frame["wait"].tolist() == pytest.approx([1.0, 0.5])
    assert frame["service_minutes"].tolist()[0] == pytest.approx(4.0)
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\ntype = "q"\nqueue = "x"\n[outcomes]\nA = "served"\n')
    with pytest.raises(ConfigError, match="unknown field 'queue'"):
        load_format(bad)
