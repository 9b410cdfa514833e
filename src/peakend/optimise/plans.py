"""A plan: agents per interval of the decided pools, and one level of each policy choice.

A :class:`Plan` is a value (hashable, ordered), turned into plain ``key=value``
overrides of the base scenario by :meth:`Plan.overrides`; the optimiser's store
identifies a plan's replications by the resolved scenario's key
(:func:`peakend.store.replications.scenario_key`), so a plan found again, in this
session or a resumed one, is never simulated twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tomli_w

__all__ = ["Plan", "choice_override", "pool_key"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def pool_key(pool: str) -> str:
    """``pools.NAME.staffing`` with the pool's name quoted where TOML needs it."""
    name = pool if _BARE.match(pool) else json.dumps(pool)
    return f"pools.{name}.staffing"


def choice_override(key: str, value: Any) -> str:
    """``key=value`` with ``value`` written as one line of TOML (a string quoted, a boolean
    lower case, a list inline)."""
    return f"{key}={_inline(value)}"


def _inline(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


@dataclass(frozen=True, order=True)
class Plan:
    """Agents per interval of each decided pool, and the policy choices' levels."""

    staffing: tuple[tuple[str, tuple[int, ...]], ...]
    choices: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, staffing: Mapping[str, Sequence[int]], choices: Mapping[str, Any]) -> Plan:
        """A plan from ``{pool: agents per interval}`` and ``{key: level}``."""
        return cls(
            tuple((pool, tuple(int(n) for n in agents)) for pool, agents in staffing.items()),
            tuple(choices.items()),
        )

    def agents(self, pool: str) -> tuple[int, ...]:
        """Agents per interval of ``pool``."""
        return dict(self.staffing)[pool]

    def moved(self, pool: str, interval: int, delta: int) -> Plan:
        """This plan with ``delta`` agents more in ``interval`` of ``pool``."""
        staffing = tuple(
            (name, _shifted(agents, interval, delta) if name == pool else agents)
            for name, agents in self.staffing
        )
        return Plan(staffing, self.choices)

    def with_staffing(self, pool: str, agents: Sequence[int]) -> Plan:
        """This plan with ``pool``'s agents replaced."""
        staffing = tuple(
            (name, tuple(int(n) for n in agents) if name == pool else old)
            for name, old in self.staffing
        )
        return Plan(staffing, self.choices)

    def with_choice(self, key: str, value: Any) -> Plan:
        """This plan with ``key`` set to ``value`` (a list given as a tuple, to stay hashable)."""
        kept = tuple((k, v) for k, v in self.choices if k != key)
        return Plan(self.staffing, (*kept, (key, value)))

    def overrides(self) -> tuple[str, ...]:
        """Plain overrides of the base scenario that make this plan."""
        staff = [f"{pool_key(pool)}={list(agents)}" for pool, agents in self.staffing]
        return (*staff, *(choice_override(key, value) for key, value in self.choices))

    @property
    def label(self) -> str:
        """A short stable name: ``plan-`` and 8 hex digits of the overrides."""
        digest = hashlib.sha256("\n".join(self.overrides()).encode()).hexdigest()
        return f"plan-{digest[:8]}"

    def describe_choices(self) -> str:
        """The policy levels as ``key=value; ...`` (empty without choices)."""
        return "; ".join(choice_override(key, value) for key, value in self.choices)


def _shifted(agents: tuple[int, ...], interval: int, delta: int) -> tuple[int, ...]:
    return tuple(n + delta if i == interval else n for i, n in enumerate(agents))
