"""The data dictionary covers every column of every table a run directory holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from peakend.analysis.registry import METRICS
from peakend.engine.records import ContactRecord, CustomerRecord
from peakend.store.dictionary import TABLE_FILES, data_dictionary, describe_column


def test_every_record_field_is_documented() -> None:
    for file, row in (("customers", CustomerRecord), ("contacts", ContactRecord)):
        documented = {name for name, _, _ in TABLE_FILES[file]}
        assert set(row._fields) - documented == set(), file


def test_the_full_dictionary_lists_every_metric_and_names_the_period() -> None:
    frame = data_dictionary(period_name="week")
    metrics = frame[frame["file"] == "replications.csv"]["column"]
    assert set(METRICS) <= set(metrics)
    assert "week" in set(frame[frame["file"] == "periods.csv"]["column"])
    assert frame["description"].str.len().min() > 0


def test_a_column_of_another_version_is_not_described() -> None:
    assert describe_column("customers.parquet", "no_such_column") is None
    assert describe_column("replications.csv", "service_level")["unit"] == "share (0-1)"


def _check_folder(folder: Path) -> pd.DataFrame:
    dictionary = pd.read_csv(folder / "data_dictionary.csv", keep_default_na=False)
    assert list(dictionary.columns) == ["file", "column", "unit", "description"]
    undocumented = dictionary[dictionary["description"] == ""]
    assert undocumented.empty, undocumented.to_string()
    return dictionary


@pytest.mark.parametrize(
    "kind", ["run_dir", "periods_dir", "compare_dir", "sweep_dir", "optimise_dir"]
)
def test_every_written_column_is_in_the_folder_dictionary(kind, request) -> None:
    folder = request.getfixturevalue(kind)
    dictionary = _check_folder(folder)
    tables = {p.name for p in folder.iterdir() if p.suffix in (".csv", ".parquet")}
    assert set(dictionary["file"]) == tables - {"data_dictionary.csv"}
    for name in tables - {"data_dictionary.csv"}:
        path = folder / name
        frame = pd.read_csv(path, nrows=1) if path.suffix == ".csv" else pd.read_parquet(path)
        listed = dictionary[dictionary["file"] == name]["column"].tolist()
        assert listed == list(frame.columns)


def test_the_period_column_is_named_as_in_the_scenario(request) -> None:
    dictionary = _check_folder(request.getfixturevalue("periods_dir"))
    periods = dictionary[dictionary["file"] == "periods.csv"]
    assert periods["column"].iloc[1] == "day"


def test_the_dictionary_command_prints_csv(request) -> None:
    from click.testing import CliRunner

    from peakend.cli.main import main

    everything = CliRunner().invoke(main, ["dictionary", "--period-name", "week"])
    assert everything.exit_code == 0, everything.output
    assert everything.output.splitlines()[0] == "file,column,unit,description"
    assert "periods.csv,week," in everything.output
    folder = request.getfixturevalue("run_dir")
    listed = CliRunner().invoke(main, ["dictionary", str(folder)])
    assert listed.exit_code == 0, listed.output
    assert "customers.parquet,outcome,label," in listed.output
    assert "periods.csv" not in listed.output
    missing = CliRunner().invoke(main, ["dictionary", str(folder / "nowhere")])
    assert missing.exit_code == 2 and "not a folder" in missing.output


# ------------------------------------------------- the descriptions say what the columns hold


def _two_services() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and contacts of a day in which many customers are served twice (every
    first failure the agent sees brings the customer back) and some get an alternative."""
    from peakend import scenario_from_dict
    from peakend.runs.runner import replicate

    from conftest import mmc_data

    data = mmc_data(arrival_rate=1.0, mean_service=2.0, agents=30, horizon=300.0, warmup=0.0)
    data["segments"]["all"].update(
        recontact_probability=1.0,
        max_contacts=2,
        recontact_delay={"distribution": "fixed", "value": 20.0},
    )
    data["pools"]["agents"].update(
        first_contact_resolution=0.5, failure_noticed_later_probability=0.0
    )
    data["service"] = {"offer_alternative": True}
    out = replicate(scenario_from_dict(data), 0)
    return out.customers, out.contacts


def test_service_start_minutes_holds_the_service_the_dictionary_names() -> None:
    """A customer served twice: the column is the start of the service its description
    names (the last answered one, the same as agent and service_end_minutes)."""
    customers, contacts = _two_services()
    statement = describe_column("customers.parquet", "service_start_minutes")["description"]
    assert statement.startswith("start of the last answered service")
    answered = contacts[contacts["answered"]].sort_values(["customer", "contact"])
    last = answered.groupby("customer").last()
    first = answered.groupby("customer").first()
    twice = answered.groupby("customer").size() == 2
    assert twice.sum() > 50
    column = customers.set_index("customer")["service_start_minutes"]
    assert np.array_equal(column[twice.index[twice]], last.loc[twice, "service_start_minutes"])
    assert not np.array_equal(column[twice.index[twice]], first.loc[twice, "service_start_minutes"])
    for name in ("service_end_minutes", "agent"):
        assert np.array_equal(customers.set_index("customer")[name][last.index], last[name])
    never = ~customers["customer"].isin(answered["customer"])
    assert customers.loc[never, "service_start_minutes"].isna().all()


def test_recoveries_count_the_offered_alternative_the_dictionary_names() -> None:
    customers, contacts = _two_services()
    statement = describe_column("customers.parquet", "recoveries")["description"]
    assert "offered alternative" in statement
    # no apology, coupon or callback here: every recovery is an offered alternative,
    # one for each failure the agent saw
    seen = contacts[contacts["service_result"] == "failed_seen"].groupby("customer").size()
    expected = seen.reindex(customers["customer"], fill_value=0).to_numpy()
    assert expected.sum() > 50
    assert np.array_equal(customers["recoveries"].to_numpy(), expected)
