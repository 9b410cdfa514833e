"""Experiment files, overrides with arithmetic, factorial expansion, compare and sweep."""

from __future__ import annotations

import copy
import importlib.util
import math

import numpy as np
import pytest
import tomli_w
from scipy import stats

from peakend import scenario_from_dict
from peakend.config.loading import ConfigError, load_toml, scenario_to_dict
from peakend.experiments.api import (
    Experiment,
    ReplicationPlan,
    compare,
    expand,
    factor_levels,
    load_experiment,
    resolve_overrides,
    run,
    run_experiment,
    sweep,
)

from conftest import ROOT, busy_day_data

FACTORS = {
    "pools.agents.staffing*": [0.5, 1.0, 2.0],
    "segments.a.retry_probability": [0.2, 0.4],
}


def write_experiment(tmp_path, text: str, base: dict | None = None):
    (tmp_path / "base.toml").write_text(tomli_w.dumps(base or busy_day_data()))
    path = tmp_path / "experiment.toml"
    path.write_text('base = "base.toml"\n' + text)
    return path


# ------------------------------------------------------------------ overrides


def test_arithmetic_overrides_become_plain_values():
    data = busy_day_data()  # staffing [2, 5, 3, 1]
    resolved = resolve_overrides(
        data,
        [
            "pools.agents.staffing*=1.5",  # 3, 7.5 -> 8, 4.5 -> 4, 1.5 -> 2 (halves to even)
            "pools.agents.staffing[1:3]+=1",
            "pools.agents.staffing[0]=9",
            "pools.agents.first_contact_resolution*=0.5",
            "segments.a.retry_probability=0.1",
        ],
    )
    assert resolved == (
        "pools.agents.staffing=[3, 8, 4, 2]",
        "pools.agents.staffing=[3, 9, 5, 2]",
        "pools.agents.staffing=[9, 9, 5, 2]",
        "pools.agents.first_contact_resolution=0.35",
        "segments.a.retry_probability=0.1",
    )
    scenario = scenario_from_dict(data, "x", resolved)
    assert scenario.pools["agents"].staffing == (9, 9, 5, 2)


def test_arithmetic_on_a_default_value_and_elementwise_lists():
    data = busy_day_data()
    (add,) = resolve_overrides(data, ["pools.agents.staffing+=[1, 0, 0, 2]"])
    assert add == "pools.agents.staffing=[3, 5, 3, 3]"
    (scaled,) = resolve_overrides(data, ["run.warmup_minutes+=5"])  # default 0.0
    assert scaled == "run.warmup_minutes=5.0"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("pools.agents.stafing*=2", "unknown key 'stafing'"),
        ("name*=2", "works on numbers"),
        ("pools.agents.staffing+=[1, 2]", "needs one number or 4"),
        ("pools.agents.staffing[9]+=1", "out of range"),
        ("pools.agents.staffing[a:b]+=1", "must be"),
        ("run.seed[0]=1", "needs a list"),
    ],
)
def test_bad_arithmetic_overrides_name_the_source_and_key(override, message):
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_overrides(busy_day_data(), [override], "exp.toml: variants.v.set")
    assert str(caught.value).startswith("exp.toml: variants.v.set")


# ----------------------------------------------------------------------- expand


def test_expand_is_pure_and_factorial():
    data, factors = busy_day_data(), copy.deepcopy(FACTORS)
    data_before, factors_before = copy.deepcopy(data), copy.deepcopy(factors)
    points = expand(data, factors)
    assert data == data_before and factors == factors_before
    assert len(points) == 3 * 2
    labels = [label for label, _ in points]
    assert labels[0] == "staffing_scale=0.5, retry_probability=0.2"
    assert labels[1] == "staffing_scale=0.5, retry_probability=0.4"  # the first factor is slowest
    assert len(set(labels)) == 6
    assert points[0][1] == (
        "pools.agents.staffing=[1, 2, 2, 0]",
        "segments.a.retry_probability=0.2",
    )
    assert expand(data, factors) == points  # deterministic
    levels = factor_levels(factors)
    assert levels[5] == {"staffing_scale": 2.0, "retry_probability": 0.4}  # readable names


def test_named_levels_and_list_values():
    factors = {"pools.agents.staffing": {"thin": [1, 1, 1, 1], "thick": [9, 9, 9, 9]}}
    points = expand(busy_day_data(), factors)
    assert [label for label, _ in points] == ["staffing=thin", "staffing=thick"]
    assert factor_levels(factors) == [
        {"staffing": "thin"},
        {"staffing": "thick"},
    ]


def test_sweep_may_not_vary_the_seed():
    with pytest.raises(ConfigError, match="run.seed: cannot differ"):
        expand(busy_day_data(), {"run.seed": [1, 2]})


# ------------------------------------------------------------- experiment files


def test_experiment_file_loads(tmp_path):
    path = write_experiment(
        tmp_path,
        """
name = "demo"
seed = 99
warmup_minutes = 10
set = ["pools.agents.absenteeism=0.0"]
metrics = ["service_level"]
[replications]
min = 3
max = 9
target_half_width = 0.05
[variants.more]
set = ["pools.agents.staffing+=1"]
[sweep]
plot = ["service_level"]
[sweep.factors]
"segments.a.retry_probability" = [0.1, 0.3]
""",
    )
    experiment = load_experiment(path)
    assert experiment.name == "demo"
    assert experiment.base.run.seed == 99
    assert experiment.base.run.warmup_minutes == 10
    assert experiment.replications == ReplicationPlan(min=3, max=9, target_half_width=0.05)
    specs = experiment.specs("compare")
    assert [s.label for s in specs] == ["base", "more"]
    assert specs[1].scenario.pools["agents"].staffing == (3, 6, 4, 2)
    assert all(s.scenario.run.seed == 99 for s in specs)
    assert len(experiment.specs("sweep")) == 2
    # command-line overrides win over the file's
    assert load_experiment(path, ["run.seed=5"]).base.run.seed == 5


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("replicatons = 3\n[variants.v]\nset = []", "replicatons: unknown key"),
        (
            "[variants.v]\nsett = []",
            "variants.v.sett: unknown key; did you mean 'set'? allowed keys: set, description",
        ),
        ("[replications]\nmin = 3\n[variants.v]", "replications.max: required"),
        ("replications = 0\n[variants.v]", "replications.count"),
        (
            "[replications]\nmin = 5\nmax = 3\ntarget_half_width = 1\n[variants.v]",
            "replications.max",
        ),
        ("[variants.base]", "variants.base:"),
        ("name = 'x'", "variants: an experiment needs"),
        ("[sweep]\nx = 'nope'\n[sweep.factors]\na = [1]", "sweep.x: not a factor"),
        ("[sweep.factors]\n'run.warmup_minutes' = []", "sweep.factors.run.warmup_minutes"),
    ],
)
def test_experiment_file_errors_name_the_file_and_key(tmp_path, text, where):
    path = write_experiment(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_experiment(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert where in message, message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[variants.v]\nset = ['pools.agents.stafing=[1, 1, 1, 1]']", "variants.v.set"),
        (
            "[variants.v]\nset = ['pools.agents.staffing=[1, 1]']",
            "variants.v.set: pools.agents.staffing",
        ),
        ("[variants.v]\nset = ['run.seed=3']", "variants.v.set: run.seed: cannot differ"),
        ("[sweep.factors]\n'pools.agents.nope' = [1]", "sweep.factors"),
    ],
)
def test_bad_variants_are_reported_when_scenarios_are_built(tmp_path, text, where):
    experiment = load_experiment(write_experiment(tmp_path, text))
    kind = "sweep" if "sweep" in text else "compare"
    with pytest.raises(ConfigError, match=str(tmp_path)) as caught:
        experiment.specs(kind)
    assert where in str(caught.value)


def test_missing_base_scenario_is_named(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('base = "nowhere.toml"\n[variants.v]\n')
    with pytest.raises(ConfigError, match=r"e.toml: base: scenario file .*nowhere.toml not found"):
        load_experiment(path)


def test_shipped_experiment_files_build_their_scenarios():
    for name, kind in [
        ("staffing_whatif", "compare"),
        ("recovery_policy", "compare"),
        ("agents_sweep", "sweep"),
    ]:
        experiment = load_experiment(ROOT / "experiments" / f"{name}.toml")
        specs = experiment.specs(kind)
        assert len({s.key for s in specs}) == len(specs), name
    staffing = load_experiment(ROOT / "experiments" / "staffing_whatif.toml").specs("compare")
    base, lunch = (s.scenario.pools["agents"].staffing for s in staffing[:2])
    assert [b - a for a, b in zip(base, lunch, strict=True)] == [0] * 8 + [3] * 4 + [0] * 12


# ------------------------------------------------------------- compare / sweep


def welch_half_width(a, b, level=0.95):
    """Half-width of the unpaired (Welch) interval of mean(a) - mean(b)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return stats.t.ppf(0.5 + level / 2, dof) * math.sqrt(va + vb)


def test_paired_interval_is_narrower_than_unpaired_for_one_more_agent():
    base = scenario_from_dict(busy_day_data(seed=11))
    experiment = Experiment.from_scenario(
        base, variants={"plus_one": ["pools.agents.staffing[1:3]+=1"]}, replications=12
    )
    result = run_experiment(experiment, "compare")
    table = result.compare_frame().set_index(["metric", "variant"])
    tidy = result.tidy_frame()
    narrower = 0
    for metric in ("mean_wait_minutes", "service_level", "abandonment_rate"):
        row = table.loc[(metric, "plus_one")]
        paired = (row["diff_ci_high"] - row["diff_ci_low"]) / 2
        a = tidy.loc[tidy["scenario"] == "plus_one", metric].to_numpy()
        b = tidy.loc[tidy["scenario"] == "base", metric].to_numpy()
        assert row["diff"] == pytest.approx(a.mean() - b.mean())
        narrower += paired < welch_half_width(a, b)
    assert narrower == 3
    assert table.loc[("mean_wait_minutes", "plus_one"), "significant"]


def test_compare_returns_one_row_per_variant_and_metric():
    base = scenario_from_dict(busy_day_data())
    table = compare(
        base,
        {"more": ["pools.agents.staffing+=1"], "fewer": ["pools.agents.staffing*=0.5"]},
        replications=3,
        metrics=["service_level", "mean_wait_minutes"],
    )
    assert list(table.columns) == [
        "variant", "metric", "mean", "ci_low", "ci_high", "half_width", "n",
        "diff", "diff_ci_low", "diff_ci_high", "significant",
    ]  # fmt: skip
    assert len(table) == 3 * 2
    base_rows = table[table["variant"] == "base"]
    assert base_rows["diff"].isna().all() and not base_rows["significant"].any()
    waits = table[table["metric"] == "mean_wait_minutes"].set_index("variant")["diff"]
    assert waits["more"] < 0 < waits["fewer"]


def test_unknown_reported_metric_is_an_error():
    base = scenario_from_dict(busy_day_data())
    with pytest.raises(
        ConfigError, match="metrics: unknown metric 'happiness'; allowed: customers"
    ):
        compare(base, {"more": ["pools.agents.staffing+=1"]}, replications=2, metrics=["happiness"])


def test_sweep_returns_tidy_and_aggregated_tables():
    base = scenario_from_dict(busy_day_data())
    tidy, summary = sweep(base, FACTORS, replications=2)
    assert len(tidy) == 6 * 2
    assert {"scenario", "staffing_scale", "replication", "service_level"} <= set(tidy)
    factors = ("staffing_scale", "retry_probability")
    metrics = [c for c in tidy.columns if c not in ("scenario", "replication", *factors)]
    assert len(summary) == 6 * len(metrics)
    row = summary[(summary["metric"] == "mean_wait_minutes")].iloc[0]
    values = tidy.loc[tidy["scenario"] == row["scenario"], "mean_wait_minutes"]
    assert row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] <= row["mean"] <= row["ci_high"] and row["n"] == 2
    waits = summary[summary["metric"] == "mean_wait_minutes"].groupby("staffing_scale")
    means = waits["mean"].mean()
    assert means[0.5] > means[1.0] > means[2.0]


def test_sequential_replications_stop_at_the_target_or_the_maximum():
    base = scenario_from_dict(busy_day_data())
    loose = ReplicationPlan(min=3, max=10, target_half_width=10.0)
    tight = ReplicationPlan(min=3, max=7, target_half_width=1e-9)
    variants = {"more": ["pools.agents.staffing+=1"]}
    for plan, expected in [(loose, 3), (tight, 7)]:
        experiment = Experiment.from_scenario(base, variants, replications=plan)
        result = run_experiment(experiment, "compare")
        assert result.replications == expected
        assert len(result.tidy_frame()) == 2 * expected
    middle = ReplicationPlan(min=3, max=60, target_half_width=0.05, metric="service_level")
    result = run_experiment(Experiment.from_scenario(base, variants, replications=middle))
    summary = result.summary_frame().set_index(["scenario", "metric"])
    assert 3 < result.replications < 60
    assert summary.xs("service_level", level="metric")["half_width"].max() <= 0.05


def test_sequential_metric_must_exist():
    base = scenario_from_dict(busy_day_data())
    plan = ReplicationPlan(min=2, max=4, target_half_width=0.1, metric="happiness")
    experiment = Experiment.from_scenario(
        base, {"v": ["pools.agents.staffing+=1"]}, replications=plan
    )
    with pytest.raises(ConfigError, match="replications.metric: unknown metric 'happiness'"):
        run_experiment(experiment)


def test_run_returns_one_row_per_replication():
    frame = run(scenario_from_dict(busy_day_data()), replications=3, overrides=["run.seed=4"])
    assert list(frame["replication"]) == [0, 1, 2]
    assert "service_level" in frame


def test_scripted_example_returns_the_comparison(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "whatif", ROOT / "experiments" / "whatif_lunch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.main(replications=2, out=tmp_path, workers=1)
    assert set(table["variant"]) == {"base", "lunch_plus_1", "lunch_plus_2", "lunch_plus_3"}
    assert (tmp_path / "whatif_lunch.png").stat().st_size > 0
    assert (tmp_path / "compare.csv").exists()
    assert "lunch_plus_3" in capsys.readouterr().out


def test_experiment_base_data_round_trip():
    # Specs are built from the resolved base: the base spec is the base scenario itself.
    base = scenario_from_dict(busy_day_data())
    experiment = Experiment.from_scenario(base, {"v": ["pools.agents.staffing+=1"]})
    base_spec = experiment.specs("compare")[0]
    assert base_spec.scenario == base
    assert scenario_from_dict(scenario_to_dict(base)) == base
    assert load_toml  # imported for symmetry with the file tests


def test_top_level_run_returns_one_row_per_replication():
    import peakend

    config = ROOT / "configs" / "contact_centre.toml"
    frame = peakend.run(config, replications=2)
    assert len(frame) == 2
    assert "service_level" in frame.columns


def test_factor_names_are_readable_unique_and_never_a_table_column():
    from peakend.experiments.grid import factor_names

    assert factor_names(["pools.agents.staffing*", "segments.a.retry_probability"]) == {
        "pools.agents.staffing*": "staffing_scale",
        "segments.a.retry_probability": "retry_probability",
    }
    # two factors that would look alike take the part before their last
    lunch = factor_names(["pools.a.staffing[8:12]+", "pools.b.staffing[8:12]+"])
    assert lunch == {
        "pools.a.staffing[8:12]+": "a_staffing_8_12_added",
        "pools.b.staffing[8:12]+": "b_staffing_8_12_added",
    }
    # a name that is a column of the sweep's tables is lengthened, or kept as written
    assert factor_names(["segments.a.n"]) == {"segments.a.n": "a_n"}
    assert factor_names(["n"]) == {"n": "factor n"}
    assert factor_names(["a.retry_probability"], reserved=["retry_probability"]) == {
        "a.retry_probability": "a_retry_probability"
    }


def test_the_sweep_x_may_name_a_factor_by_its_key_or_its_column(tmp_path):
    from peakend.experiments.schema import ExperimentFile

    for x in ("pools.agents.staffing*", "staffing_scale"):
        data = {"base": "b.toml", "sweep": {"x": x, "factors": dict(FACTORS)}}
        assert ExperimentFile.model_validate(data).sweep.x == x
    with pytest.raises(Exception, match="not a factor: 'staffing'"):
        ExperimentFile.model_validate(
            {"base": "b.toml", "sweep": {"x": "staffing", "factors": dict(FACTORS)}}
        )
