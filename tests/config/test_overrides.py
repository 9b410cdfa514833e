"""The override grammar (key=value, key*=x, key+=x, key[a:b]+=x) on plain data and scenarios."""

from __future__ import annotations

import copy
import math
import tomllib

import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from peakend import load_scenario
from peakend.cli.main import main
from peakend.config import loading as config
from peakend.config.loading import ConfigError
from peakend.config.overrides import (
    apply_overrides,
    parse,
    parse_override,
    plain_overrides,
    toml_value,
)

from conftest import ROOT

CONTACT_CENTRE = ROOT / "configs" / "contact_centre.toml"
DATA = {
    "name": "tiny",
    "pools": {"agents": {"staffing": [2, 5, 3, 1], "absenteeism": 0.2, "label": "x"}},
    "run": {"seed": 1, "warmup_minutes": 0.0},
}
FIXED_3 = {"distribution": "fixed", "value": 3}


def applied(*overrides: str, data: dict | None = None) -> dict:
    data = copy.deepcopy(DATA if data is None else data)
    return apply_overrides(data, overrides, data, "tiny.toml")


# ------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "path", "op", "index", "value"),
    [
        ("a.b=3", ("a", "b"), "=", None, 3),
        ("a.b = [1, 2]", ("a", "b"), "=", None, [1, 2]),
        ("a.b*=0.8", ("a", "b"), "*=", None, 0.8),
        ("a.b+=2", ("a", "b"), "+=", None, 2),
        ("a.b[8:12]+=3", ("a", "b"), "+=", slice(8, 12), 3),
        ("a.b[:2]*=2", ("a", "b"), "*=", slice(None, 2), 2),
        ("a.b[-1]=0", ("a", "b"), "=", -1, 0),
        ('a={ distribution = "fixed", value = 3 }', ("a",), "=", None, FIXED_3),
    ],
)
def test_parse_splits_key_operator_index_and_toml_value(text, path, op, index, value):
    item = parse(text)
    assert (item.path, item.op, item.index, item.value) == (path, op, index, value)
    assert item.plain == (op == "=" and index is None)


def test_values_are_never_evaluated():
    assert parse("name=__import__('os').getcwd()").value == "__import__('os').getcwd()"
    assert parse_override("name=hello world") == (["name"], "hello world")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nothing", "tiny.toml: --set 'nothing': expected dotted.key=value"),
        ("=3", "tiny.toml: --set '=3': empty key"),
        ("a..b=3", "empty key"),
        ("a[x:y]+=1", r"tiny.toml: 'a\[x:y\]\+=1': index \[x:y\] must be \[i\] or \["),
    ],
)
def test_malformed_overrides_are_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text, "tiny.toml")


# ------------------------------------------------------------------- plain data


def test_plain_arithmetic_and_indexed_overrides():
    result = applied(
        "pools.agents.staffing*=1.5",  # 3, 7.5 -> 8, 4.5 -> 4, 1.5 -> 2 (halves to even)
        "pools.agents.staffing[1:3]+=1",
        "pools.agents.staffing[0]=9",
        "pools.agents.absenteeism*=0.5",
        "run.warmup_minutes+=5",
        "name=renamed",
    )
    assert result["pools"]["agents"]["staffing"] == [9, 9, 5, 2]
    assert result["pools"]["agents"]["absenteeism"] == 0.1
    assert result["run"]["warmup_minutes"] == 5.0
    assert result["name"] == "renamed"


def staffing(*overrides: str) -> list[int]:
    return applied(*overrides)["pools"]["agents"]["staffing"]


def test_lists_combine_elementwise_and_slices_take_one_value_or_a_list():
    assert staffing("pools.agents.staffing+=[1, 0, 0, 2]") == [3, 5, 3, 3]
    assert staffing("pools.agents.staffing[1:3]=0") == [2, 0, 0, 1]
    assert staffing("pools.agents.staffing[2:]=[7, 8]") == [2, 5, 7, 8]
    assert staffing("pools.agents.staffing[-1]*=4") == [2, 5, 3, 4]


def test_each_override_sees_the_ones_before_it_and_inputs_are_not_modified():
    data, before = copy.deepcopy(DATA), copy.deepcopy(DATA)
    overrides = ["pools.agents.staffing=[1, 1, 1, 1]", "pools.agents.staffing*=3"]
    result = apply_overrides(data, overrides, data, "tiny.toml")
    assert result["pools"]["agents"]["staffing"] == [3, 3, 3, 3]
    assert data == before


def test_plain_overrides_write_arithmetic_as_toml_values():
    resolved = plain_overrides(
        DATA, ["pools.agents.staffing[0:2]+=1", "run.seed=4", "pools.agents.absenteeism*=2"], "x"
    )
    assert resolved == (
        "pools.agents.staffing=[3, 6, 3, 1]",
        "run.seed=4",
        "pools.agents.absenteeism=0.4",
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "pools.agents.stafing*=2",
            "tiny.toml: --set pools.agents.stafing: unknown key 'stafing' in pools.agents; "
            "did you mean 'staffing'\\? allowed: staffing, absenteeism, label",
        ),
        ("nope=1", "tiny.toml: --set nope: unknown key 'nope' in the top level; allowed: name"),
        ("name.first=1", "unknown key 'first' in name; allowed: none \\(not a table\\)"),
        ("pools.agents.label*=2", "tiny.toml: pools.agents.label: \\*= works on numbers"),
        ("pools.agents.staffing+=[1, 2]", "needs one number or 4 of them, got 2"),
        ("pools.agents.staffing[4]+=1", "index 4 out of range \\(length 4\\)"),
        ("pools.agents.staffing[6:9]+=1", "the slice selects no element \\(length 4\\)"),
        ("pools.agents.staffing[0:2]=[1, 2, 3]", "expected 2 values for the slice"),
        ("run.seed[0]=1", "tiny.toml: run.seed: an index needs a list, the value is 1"),
        ("pools.agents.staffing*=true", "works on numbers"),
    ],
)
def test_bad_overrides_name_the_source_and_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        applied(override)


@given(
    st.recursive(
        st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=False)
        | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(min_size=1, max_size=5), children, max_size=3)
        ),
        max_leaves=8,
    )
)
@example({"emoji \U0001f600": ["del \x7f", 'quote " backslash \\ tab \t é'], "inf": -math.inf})
def test_toml_value_reads_back_as_the_same_value(value):
    assert parse_override(f"key={toml_value(value)}")[1] == value


def test_toml_value_keeps_nan():
    assert math.isnan(parse_override(f"key={toml_value(math.nan)}")[1])


def test_config_uses_the_same_implementation():
    assert config.apply_overrides is apply_overrides
    assert config.parse_override is parse_override


# -------------------------------------------------------------------- scenarios


def test_load_scenario_applies_arithmetic_and_slices():
    base = load_scenario(CONTACT_CENTRE).pools["agents"].staffing
    scaled = load_scenario(CONTACT_CENTRE, ["pools.agents.staffing*=0.8"])
    assert scaled.pools["agents"].staffing == tuple(round(n * 0.8) for n in base)
    lunch = load_scenario(CONTACT_CENTRE, ["pools.agents.staffing[8:12]+=3"])
    assert [b - a for a, b in zip(base, lunch.pools["agents"].staffing, strict=True)] == (
        [0] * 8 + [3] * 4 + [0] * (len(base) - 12)
    )


def test_load_scenario_arithmetic_on_a_default_value():
    scenario = load_scenario(CONTACT_CENTRE, ["run.service_level_threshold_minutes*=3"])
    default = load_scenario(CONTACT_CENTRE).run.service_level_threshold_minutes
    assert scenario.run.service_level_threshold_minutes == pytest.approx(3 * default)


def test_load_scenario_unknown_key_names_the_file_and_the_key():
    with pytest.raises(ConfigError) as caught:
        load_scenario(CONTACT_CENTRE, ["pools.agents.stafing*=0.8"])
    message = str(caught.value)
    assert message.startswith(str(CONTACT_CENTRE))
    assert (
        "pools.agents.stafing: unknown key 'stafing' in pools.agents; "
        "did you mean 'staffing'? allowed:"
    ) in message


def test_an_unknown_key_far_from_every_allowed_one_suggests_nothing():
    with pytest.raises(ConfigError) as caught:
        load_scenario(CONTACT_CENTRE, ["pools.agents.zzz=1"])
    assert "did you mean" not in str(caught.value)
    assert "unknown key 'zzz' in pools.agents; allowed:" in str(caught.value)


def test_load_scenario_slice_out_of_range_is_an_error():
    with pytest.raises(ConfigError) as caught:
        load_scenario(CONTACT_CENTRE, ["pools.agents.staffing[30:40]+=1"])
    assert str(caught.value) == (
        f"{CONTACT_CENTRE}: pools.agents.staffing: the slice selects no element (length 24)"
    )


def test_load_scenario_validates_the_result():
    with pytest.raises(ConfigError, match="pools.agents.absenteeism"):
        load_scenario(CONTACT_CENTRE, ["pools.agents.absenteeism*=100"])


# -------------------------------------------------------------------------- CLI


def test_run_set_takes_the_full_grammar(tmp_path):
    out = tmp_path / "out"
    args = ["run", str(CONTACT_CENTRE), "-r", "1", "--executor", "serial", "-q", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--set", "pools.agents.staffing[8:12]+=3"])
    assert result.exit_code == 0, result.output
    resolved = tomllib.loads((out / "resolved_config.toml").read_text())
    base = load_scenario(CONTACT_CENTRE).pools["agents"].staffing
    assert resolved["pools"]["agents"]["staffing"][8:12] == [n + 3 for n in base[8:12]]


def test_run_set_error_exits_2_naming_the_file_and_the_key():
    args = ["run", str(CONTACT_CENTRE), "--set", "pools.agents.staffing[30:40]+=1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"peakend: error: {CONTACT_CENTRE}: pools.agents.staffing: "
        "the slice selects no element (length 24)\n"
    )


# ------------------------------------------------------ names that need quoting


NAMED = {"pools": {"x.y [/] a=b": {"staffing": [1, 2]}, "plain": {"staffing": [3]}}}


@pytest.mark.parametrize(
    ("override", "pool", "expected"),
    [
        ('pools."x.y [/] a=b".staffing+=1', "x.y [/] a=b", [2, 3]),
        ("pools.'x.y [/] a=b'.staffing[0]*=5", "x.y [/] a=b", [5, 2]),
        ('pools."plain".staffing=[4]', "plain", [4]),
        ("pools.plain.staffing+=1", "plain", [4]),
    ],
)
def test_a_quoted_key_part_names_any_pool(override, pool, expected):
    assert applied(override, data=NAMED)["pools"][pool]["staffing"] == expected


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_dotted_key_reads_back_as_the_same_path(path):
    from peakend.config.overrides import dotted_key

    item = parse(f"{dotted_key(path)}+=1")
    assert item.path == tuple(path)
    assert item.op == "+=" and item.index is None


def test_a_malformed_quoted_key_part_is_one_clear_error():
    with pytest.raises(ConfigError, match="a quoted key part is one TOML string"):
        applied('pools."a"b.staffing=1', data=NAMED)
    with pytest.raises(ConfigError, match="expected dotted.key=value"):
        applied('pools."unclosed.staffing=1', data=NAMED)  # the quote runs to the end
