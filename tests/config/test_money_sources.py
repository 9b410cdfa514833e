"""Every money amount of a shipped scenario names its source or says it is an assumption.

A planner quotes profit, and profit is made of these amounts (``docs/model/economics.md``):
the values per visit and per period, the hourly cost of each pool, coupons and extras.
Each such line of ``configs/*.toml`` carries a comment (on the line or the comment lines
right after it) that says "assumption" or cites a dated source, and the economics page
lists each pool's hourly cost as the file sets it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from peakend.config.schema import PoolConfig

from conftest import ROOT

SHIPPED = sorted((ROOT / "configs").glob("*.toml"))
MONEY_KEYS = (
    "value_per_visit",
    "value_per_period",
    "agent_cost_per_hour",
    "compensation",
    "delight_cost",
)
DEFAULT_COST = PoolConfig.model_fields["agent_cost_per_hour"].default
ECONOMICS = ROOT / "docs" / "model" / "economics.md"


def money_lines(path: Path) -> list[tuple[int, str, str]]:
    """``(line number, key, comment)`` of every money line, the comment including the
    comment-only lines that continue it."""
    lines = path.read_text().splitlines()
    found = []
    for number, line in enumerate(lines):
        match = re.match(rf"\s*({'|'.join(MONEY_KEYS)})\s*=\s*([^#]*)(#.*)?$", line)
        if not match or float(match.group(2)) == 0:
            continue
        comment = [match.group(3) or ""]
        for after in lines[number + 1 :]:
            if not after.strip().startswith("#") or not after.startswith(" "):
                break
            comment.append(after.strip())
        found.append((number + 1, match.group(1), " ".join(comment)))
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_each_money_line_says_where_its_amount_comes_from(path: Path) -> None:
    found = money_lines(path)
    assert any(key == "agent_cost_per_hour" for _, key, _ in found)  # every file pays staff
    for number, key, comment in found:
        sourced = "assumption" in comment or re.search(r"\b(19|20)\d\d\b", comment)
        assert sourced, f"{path.name}:{number}: {key} has no source and is not named an assumption"


def test_a_money_line_without_a_source_is_caught(tmp_path: Path) -> None:
    """The check can fail: a bare amount, or a comment that says neither."""
    bare = tmp_path / "bare.toml"
    bare.write_text("[pools.a]\nagent_cost_per_hour = 40.0   # an hour\n")
    ((_, _, comment),) = money_lines(bare)
    assert "assumption" not in comment and not re.search(r"\b(19|20)\d\d\b", comment)


def hourly_costs_on_the_page() -> dict[str, dict[str, float]]:
    """``{config file: {pool: hourly cost}}`` from the economics page's table."""
    costs: dict[str, dict[str, float]] = {}
    for line in ECONOMICS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].startswith("an assumption"):
            continue
        pools = dict(re.findall(r"(\w+) (\d+(?:\.\d+)?)", cells[1]))
        for name in re.findall(r"`([\w.]+\.toml)`", cells[0]):
            costs[name] = {pool: float(cost) for pool, cost in pools.items()}
    return costs


def test_the_economics_page_lists_each_pool_s_hourly_cost_as_shipped() -> None:
    page = hourly_costs_on_the_page()
    for path in SHIPPED:
        pools = tomllib.loads(path.read_text())["pools"]
        shipped = {
            name: float(pool.get("agent_cost_per_hour", DEFAULT_COST))
            for name, pool in pools.items()
        }
        assert page.get(path.name) == shipped, path.name
