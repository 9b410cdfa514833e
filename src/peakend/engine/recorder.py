"""The recorder: facts in, contact and customer records out.

Journeys report facts as they happen (:mod:`peakend.engine.facts`); reporting
costs a list append on the hot path. The facts do not stay Python objects: every
:data:`SPILL_FACTS` facts (:meth:`Recorder.spill`, called by the replication as
customers arrive) the recorder files the ones reported so far into typed column
buffers, one structured array chunk per kind with narrow dtypes
(:func:`fact_dtype`: 32-bit integers, 8-byte floats, 1-byte flags), about 40
bytes a fact instead of about 220 as a tuple, so the memory of a run grows with
its customers by the bytes of their typed facts, and its Python objects with the
customers in the system at once. At the end of the run :meth:`Recorder.close`
joins the chunks (a :class:`FactLog`), settles the contacts still open and
builds the records, vectorised:

- a contact still queued when the run ends gives up at its deadline if that
  comes before the end (in a drained run: whenever it comes, since no agent
  is coming), else it is cut at the end, with the customer still in the system;
- a service still running when a run without drain ends is cut at the end
  (result :attr:`~peakend.engine.facts.ServiceResult.CUT`): nothing after the
  end is recorded or remembered.

Counts, costs and times come from the facts alone, never from an experience
setting, and the recorder names no kind of fact to make them: each kind declares
what it adds to a customer's record (:class:`~peakend.engine.facts.Tally`). Agent
time given to recovery (apologies, offered alternatives, and the services of callback
and escalated contacts) and to extras (farewells) is recorded as agent-minutes
(``recovery_minutes``, ``extras_minutes``): the roster is paid anyway (staff
cost), so that time is what the paid hours went to, never money a second time.
``recovery_cost`` and ``extras_cost`` are money paid out, at each kind's declared
price (a coupon's amount, ``service.delight_cost`` per delight extra).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from peakend.engine.facts import (
    TALLY_COLUMNS,
    TALLY_COUNTS,
    ContactKind,
    Finished,
    GaveUp,
    Outcome,
    Queued,
    Served,
    ServiceResult,
    fact_kinds,
)
from peakend.engine.persons import Persons, file_by_person
from peakend.engine.records import NO_SERVICE, ContactTable, CustomerTable, Table

T = TypeVar("T", bound=Table)

__all__ = ["CUSTOMER_BLOCK", "SPILL_FACTS", "Block", "FactLog", "Recorder", "fact_dtype"]

SPILL_FACTS = 1 << 16
"""Facts held as Python tuples before :meth:`Recorder.spill` files them into typed chunks
(about 14 MB of tuples; a chunk's conversion is one C call per kind)."""

CUSTOMER_BLOCK = 1 << 16
"""Customers whose records :meth:`Recorder.close_blocks` makes at once (65,536: about
60 MB of tables, traces and memories at the peak). A replication's metrics add up per block
(:mod:`peakend.analysis.metrics`), so this number is part of what a run computes: the
sums of a replication of more customers than this are sums of block sums."""


_FACT_DTYPES = {int: np.dtype(np.int32), float: np.dtype(np.float64), bool: np.dtype(np.bool_)}


def fact_dtype(kind: type) -> np.dtype[Any]:
    """The structured dtype of a kind of fact's typed buffer: each field in order, an
    ``int`` as int32 (numbers of contacts, customers, pools, agents and codes, exact
    below 2**31: filing a larger one raises OverflowError), a ``float`` as float64
    (times and money keep every bit), a ``bool`` as one byte."""
    hints = typing.get_type_hints(kind)
    return np.dtype([(name, _FACT_DTYPES[hints[name]]) for name in kind._fields])  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FactLog:
    """All facts of one replication, one structured array per kind (open contacts settled)."""

    arrays: dict[type, np.ndarray]
    contact_number: np.ndarray
    """Per contact (by its number in the replication): 1 for the customer's first, ..."""
    end: float
    """When the run ended, minutes."""

    def __getitem__(self, kind: type) -> np.ndarray:
        return self.arrays[kind]


@dataclass(frozen=True)
class Customers:
    """Who arrived: per customer, arrival time, segment and channel index."""

    arrival: np.ndarray
    segment: np.ndarray
    channel: np.ndarray
    persons: Persons | None = None
    """Who each arrival is, in a replay with customer ids (None: each arrival is a customer
    of its own); the recorder files the facts by person (:mod:`peakend.engine.persons`)."""

    def by_person(self) -> Customers:
        """One entry per person: the time, segment and channel of its first arrival."""
        if self.persons is None:
            return self
        first = self.persons.first_arrival
        return Customers(self.arrival[first], self.segment[first], self.channel[first])


class Recorder:
    """Files facts by kind into typed chunks; :meth:`close` builds the log and the tables."""

    def __init__(self, spill_facts: int | None = None) -> None:
        """``spill_facts``: facts held as tuples before :meth:`spill` files them
        (default :data:`SPILL_FACTS`)."""
        self.facts: list[Any] = []
        # A bound list.append: reporting a fact costs no Python frame on the hot path.
        self.report = self.facts.append
        self.spill_facts = SPILL_FACTS if spill_facts is None else spill_facts
        self.chunks: dict[type, list[np.ndarray]] = {}

    def spill(self) -> None:
        """File the facts reported so far into typed chunks, once there are at least
        :attr:`spill_facts` of them (cheap to call often: a length test otherwise).

        The order of each kind's facts is kept, so the joined arrays are those that
        filing every fact at the end would give, byte for byte."""
        if len(self.facts) >= self.spill_facts:
            self._file()

    def _file(self) -> None:
        lists: dict[type, list[Any]] = {kind.type: [] for kind in fact_kinds()}
        for fact in self.facts:
            lists[fact.__class__].append(fact)
        self.facts.clear()
        for kind, rows in lists.items():
            if rows:
                chunk = np.fromiter(rows, dtype=fact_dtype(kind), count=len(rows))
                self.chunks.setdefault(kind, []).append(chunk)

    def _join(self, extra: Mapping[type, np.ndarray] | None = None) -> dict[type, np.ndarray]:
        """One array per kind from its chunks (and ``extra`` facts of the kind after
        them), each chunk freed once copied (the peak holds the joined facts and one
        chunk, not two copies)."""
        self._file()
        arrays = {}
        for kind in (kind.type for kind in fact_kinds()):
            chunks = self.chunks.pop(kind, [])
            if extra is not None and kind in extra:
                chunks.append(extra[kind])
            arrays[kind] = _joined_chunks(chunks, kind)
        return arrays

    def close(
        self,
        customers: Customers,
        horizon: float,
        drain: bool,
        prices: Mapping[str, float],
        labels: dict[str, list[str]],
        in_service: Sequence[tuple[int, float, int, int, float]] = (),
    ) -> tuple[FactLog, ContactTable, CustomerTable]:
        """The fact log and the records of a run over ``horizon`` minutes.

        ``in_service`` lists the pools' agents still serving at the end, as
        ``(contact, since, pool, agent, warmth)``. A run without drain ends at the
        horizon. A drained run ends at the horizon or with the last thing that
        happened, if later (the customers still waiting then had no agent coming).
        ``prices`` holds the money of each scenario key that prices a fact
        (:func:`~peakend.engine.facts.price_keys`); a key it lacks is priced 0.
        """
        settled = self._settled(customers, horizon, drain, in_service)
        return _build(
            settled.arrays, settled.customers, settled.end, settled.segment, prices, labels
        )

    def close_blocks(
        self,
        customers: Customers,
        horizon: float,
        drain: bool,
        prices: Mapping[str, float],
        labels: dict[str, list[str]],
        in_service: Sequence[tuple[int, float, int, int, float]] = (),
        *,
        block: int | None = None,
    ) -> Iterator[Block]:
        """:meth:`close`, a block of ``block`` customers at a time (default
        :data:`CUSTOMER_BLOCK`), in customer order.

        Each :class:`Block` is the log and records of its customers alone, numbered
        from 0 (customers and contacts), as if they had been the whole run: a
        customer's records depend on its own facts only, so the blocks' tables, their
        customer numbers shifted by :attr:`Block.first` and laid end to end, are
        :meth:`close`'s tables (tested). The facts are settled once for the whole run
        first (open contacts, persons, the end), and a block's tables are made only when
        it is asked for: the records of the whole run are never held at once.
        """
        block = CUSTOMER_BLOCK if block is None else block
        if block < 1:
            raise ValueError(f"block must be at least 1 customer, got {block}")
        settled = self._settled(customers, horizon, drain, in_service)
        arrays, people = settled.arrays, settled.customers
        n = len(people.arrival)
        if n <= block:
            log, contacts, table = _build(
                arrays, people, settled.end, settled.segment, prices, labels
            )
            yield Block(0, log, contacts, table)
            return
        queued_customer = arrays[Queued]["customer"]
        bounds = {
            kind: _block_bounds(_owners(facts, queued_customer), n, block)
            for kind, facts in arrays.items()
        }
        for index, first in enumerate(range(0, n, block)):
            stop = min(first + block, n)
            part: dict[type, np.ndarray] = {}
            for kind, facts in arrays.items():
                lo, hi = bounds[kind][index]
                window = facts[lo:hi]
                own = _owners(window, queued_customer)
                part[kind] = window[(own >= first) & (own < stop)]
            global_contacts = part[Queued]["contact"].astype(np.int64)
            for facts in part.values():
                names = facts.dtype.names or ()
                if "customer" in names:
                    facts["customer"] -= first
                if "contact" in names:
                    facts["contact"] = np.searchsorted(global_contacts, facts["contact"])
            segment = None if settled.segment is None else settled.segment[global_contacts]
            sliced = Customers(
                people.arrival[first:stop], people.segment[first:stop], people.channel[first:stop]
            )
            made = Block(first, *_build(part, sliced, settled.end, segment, prices, labels))
            del part, sliced, segment, global_contacts, window, own
            yield made  # and nothing of it held here while the next block is made
            del made

    def _settled(
        self,
        customers: Customers,
        horizon: float,
        drain: bool,
        in_service: Sequence[tuple[int, float, int, int, float]],
    ) -> _Settled:
        """Every fact joined, the open contacts settled, filed by person, and the end."""
        arrays = self._settle_open_contacts(horizon, drain, in_service)
        segment = None
        if customers.persons is not None:
            segment = customers.segment[file_by_person(arrays, customers.persons)]
            customers = customers.by_person()
        end = max(horizon, _latest(arrays)) if drain else horizon
        return _Settled(arrays, customers, segment, end)

    def _settle_open_contacts(
        self,
        end: float,
        drain: bool,
        in_service: Sequence[tuple[int, float, int, int, float]],
    ) -> dict[type, np.ndarray]:
        """Every fact joined, with the facts that settle the contacts still open at the
        end (module docstring) joined after their kinds' own: found from the chunks
        before the join, so that no kind's facts are copied twice."""
        self._file()
        queued = _joined_chunks(self.chunks.pop(Queued, []), Queued)
        if not np.array_equal(queued["contact"], np.arange(len(queued))):
            raise RuntimeError("contacts must be numbered 0, 1, ... in the order they queue")
        served = np.zeros(len(queued), dtype=bool)
        for chunk in self.chunks.get(Served, []):
            served[chunk["contact"]] = True
        running = np.array(
            [row for row in in_service if not served[row[0]]],
            dtype=[
                ("contact", np.int32),
                ("start", float),
                ("pool", np.int32),
                ("agent", np.int32),
                ("warmth", float),
            ],
        )
        cut = _facts(
            Served,
            contact=running["contact"],
            start=running["start"],
            at=end,
            pool=running["pool"],
            agent=running["agent"],
            warmth=running["warmth"],
            result=ServiceResult.CUT,
        )
        settled = served
        settled[cut["contact"]] = True
        for chunk in self.chunks.get(GaveUp, []):
            settled[chunk["contact"]] = True
        give_up_by = np.inf if drain else end
        deadline = queued["deadline"]
        gives_up = ~settled & np.isfinite(deadline) & (deadline <= give_up_by)
        late = queued[gives_up]
        self.chunks[Queued] = [queued]
        gave_up = _facts(GaveUp, contact=late["contact"], at=late["deadline"])
        finished = _facts(
            Finished, customer=late["customer"], at=late["deadline"], outcome=Outcome.ABANDONED
        )
        return self._join({Served: cut, GaveUp: gave_up, Finished: finished})


def _joined_chunks(chunks: list[np.ndarray], kind: type) -> np.ndarray:
    """A kind's chunks as one array (the chunks given up as they are copied; a single
    chunk is the array itself)."""
    if len(chunks) == 1:
        return chunks.pop()
    joined = np.empty(sum(len(chunk) for chunk in chunks), dtype=fact_dtype(kind))
    start = 0
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        joined[start : start + len(chunk)] = chunk
        start += len(chunk)
    return joined


@dataclass(frozen=True)
class Block:
    """The log and records of customers ``first`` to ``first + len(customers) - 1``,
    numbered from 0 within the block (customers and contacts)."""

    first: int
    log: FactLog
    contacts: ContactTable
    customers: CustomerTable

    def numbered(self, table: T) -> T:
        """``table`` (this block's, or one made from it) with the run's customer numbers."""
        if not self.first:
            return table
        return table.with_columns(customer=table["customer"] + self.first)


@dataclass(frozen=True)
class _Settled:
    arrays: dict[type, np.ndarray]
    customers: Customers
    segment: np.ndarray | None
    end: float


def _build(
    arrays: dict[type, np.ndarray],
    customers: Customers,
    end: float,
    segment: np.ndarray | None,
    prices: Mapping[str, float],
    labels: dict[str, list[str]],
) -> tuple[FactLog, ContactTable, CustomerTable]:
    """The log and the records of settled facts (customers and contacts numbered from 0)."""
    contacts, contact_number = _contact_columns(arrays, customers, end, segment)
    log = FactLog(arrays, contact_number, end)
    table = ContactTable.from_columns(
        {"segment": labels["segment"], "pool": labels["pool"], "served_pool": labels["pool"]},
        **contacts,
    )
    people = _customer_columns(log, customers, contacts, prices)
    return (
        log,
        table,
        CustomerTable.from_columns(
            {name: labels[name] for name in ("segment", "channel", "pool")}, **people
        ),
    )


def _owners(facts: np.ndarray, queued_customer: np.ndarray) -> np.ndarray:
    """The customer each fact belongs to (through its contact for a kind naming none)."""
    if "customer" in (facts.dtype.names or ()):
        return facts["customer"]
    return queued_customer[facts["contact"]]


def _block_bounds(owner: np.ndarray, n: int, block: int) -> list[tuple[int, int]]:
    """For each block of customers, the rows of ``owner`` between its first fact and its
    last: facts come in time order, so a block's facts lie in a window of rows only a
    little wider than its own share, found with running extremes of the owners."""
    starts = np.arange(0, n, block)
    if not len(owner):
        return [(0, 0)] * len(starts)
    highest = np.maximum.accumulate(owner)  # rows before lo hold only earlier customers
    lowest = np.minimum.accumulate(owner[::-1])[::-1]  # rows from hi on only later ones
    lo = np.searchsorted(highest, starts, side="left")
    hi = np.searchsorted(lowest, np.minimum(starts + block, n), side="left")
    return list(zip(lo.tolist(), hi.tolist(), strict=True))


def _latest(arrays: dict[type, np.ndarray]) -> float:
    """The time of the last thing that happened (the end of a timed fact)."""
    latest = -np.inf
    for facts in arrays.values():
        if len(facts):
            timed = "minutes" in (facts.dtype.names or ())
            ends = facts["at"] + facts["minutes"] if timed else facts["at"]
            latest = max(latest, float(ends.max()))
    return latest


def _facts(kind: type, **columns: Any) -> np.ndarray:
    """Facts of ``kind`` with the given columns (arrays, or scalars for every row)."""
    size = next(len(value) for value in columns.values() if np.ndim(value))
    if size == 0:
        return np.zeros(0, dtype=fact_dtype(kind))
    array = np.zeros(size, dtype=fact_dtype(kind))
    for name, value in columns.items():
        array[name] = value
    return array


def _by_contact(m: int, facts: np.ndarray, field: str, fill: float) -> np.ndarray:
    """Column ``field`` of ``facts`` by contact number, ``fill`` where a contact has none."""
    values = np.full(m, fill, dtype=facts.dtype[field])
    values[facts["contact"]] = facts[field]
    return values


def _contact_columns(
    log: dict[type, np.ndarray],
    customers: Customers,
    end: float,
    segment: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The contact table's columns (rows by customer and contact) and each contact's
    number within its customer's journey (by contact number in the replication).

    ``segment``: each contact's segment (by contact number), if not its customer's."""
    queued = log[Queued]
    m = len(queued)
    answered_at = _by_contact(m, log[Served], "start", np.nan)
    gave_up_at = _by_contact(m, log[GaveUp], "at", np.nan)
    service_end = _by_contact(m, log[Served], "at", np.nan)
    result = _by_contact(m, log[Served], "result", NO_SERVICE)
    agent = _by_contact(m, log[Served], "agent", NO_SERVICE)
    served_pool = _by_contact(m, log[Served], "pool", NO_SERVICE)
    warmth = _by_contact(m, log[Served], "warmth", np.nan)
    answered = ~np.isnan(answered_at)
    abandoned = ~np.isnan(gave_up_at)
    left_queue = np.where(answered, answered_at, np.where(abandoned, gave_up_at, end))
    customer = queued["customer"]
    order = np.argsort(customer, kind="stable")  # by customer, then by contact number
    first_of_customer = np.searchsorted(customer[order], customer[order])
    columns = {
        "customer": customer,
        "segment": customers.segment[customer] if segment is None else segment,
        "pool": queued["pool"],
        "contact": np.empty(m, dtype=np.int64),
        "kind": queued["kind"],
        "arrival_minutes": queued["at"],
        "wait_minutes": left_queue - queued["at"],
        "abandoned": abandoned,
        "answered": answered,
        "at_home": ~queued["felt"],
        "service_start_minutes": answered_at,
        "service_end_minutes": service_end,
        "agent": agent,
        "served_pool": served_pool,
        "agent_warmth": warmth,
        "service_result": result,
        "resolved": result == ServiceResult.RESOLVED,
    }
    columns["contact"][order] = np.arange(m) - first_of_customer + 1
    return {name: values[order] for name, values in columns.items()}, columns["contact"]


def _customer_columns(
    log: FactLog,
    customers: Customers,
    contacts: dict[str, np.ndarray],
    prices: Mapping[str, float],
) -> dict[str, np.ndarray]:
    n = len(customers.arrival)

    def count(ids: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(ids, weights=weights, minlength=n)[:n]

    who, kind, pool = contacts["customer"], contacts["kind"], contacts["pool"]
    retries = count(who[kind == ContactKind.RETRY])
    recontacts = count(who[kind == ContactKind.RECONTACT])
    tallied = _tally(log, prices, n)
    served = contacts["answered"]
    worked = np.where(
        served, contacts["service_end_minutes"] - contacts["service_start_minutes"], 0.0
    )
    purpose = _purpose(kind)
    recovery_contact = (purpose == ContactKind.CALLBACK) | (purpose == ContactKind.ESCALATION)
    # The services of callback and escalated contacts are recovery too (agent-minutes).
    recovery_minutes = tallied["recovery_minutes"] + count(
        who[recovery_contact], worked[recovery_contact]
    )
    transfers = tallied["transfers"]
    last = _last_per_customer(who, n)
    # A journey whose last contact was resolved is over, resolved (it reports no
    # Finished: its last service says so); other endings are reported as Finished.
    outcome = np.full(n, Outcome.IN_SYSTEM, dtype=np.int64)
    ended_resolved = _pick(contacts["resolved"], last, False)
    outcome[ended_resolved] = Outcome.RESOLVED
    outcome[log[Finished]["customer"]] = log[Finished]["outcome"]
    last_served = _last_per_customer(np.where(served, who, -1), n)
    first_served = _first_per_customer(np.where(served, who, -1), n)
    nan = np.full(n, np.nan)
    return {
        "customer": np.arange(n),
        "segment": customers.segment,
        "channel": customers.channel,
        "arrival_minutes": customers.arrival,
        "wait_minutes": count(who, contacts["wait_minutes"]),
        "contacts": count(who),
        "retries": retries,
        "effort": retries + recontacts + transfers,
        "transfers": transfers,
        "failures": tallied["failures"],
        "recoveries": tallied["recoveries"],
        "recovery_cost": tallied["recovery_cost"],
        "recovery_minutes": recovery_minutes,
        "extras_cost": tallied["extras_cost"],
        "extras_minutes": tallied["extras_minutes"],
        "outcome": outcome,
        "first_contact_resolved": _pick(contacts["resolved"], first_served, False),
        "pool": _pick(pool, last, -1),
        "agent": _pick(contacts["agent"], last_served, -1),
        "service_start_minutes": _pick(contacts["service_start_minutes"], last_served, np.nan),
        "service_end_minutes": _pick(contacts["service_end_minutes"], last_served, np.nan),
        **{
            name: nan
            for name in (
                "remembered_utility",
                "experienced_utility",
                "worst_utility",
                "best_utility",
                "end_utility",
                "total_utility",
                "experienced_minutes",
                "service_quality",
            )
        },
    }


def _tally(log: FactLog, prices: Mapping[str, float], n: int) -> dict[str, np.ndarray]:
    """Each tallied customer column of ``n`` customers, summed over the declared kinds in
    declared order.

    A price given by a scenario key is one amount per fact: it multiplies the count (a
    sum of equal amounts would differ from it in floating point).
    """

    def count(ids: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(ids, weights=weights, minlength=n)[:n]

    columns = {
        name: np.zeros(n, dtype=np.int64 if name in TALLY_COUNTS else np.float64)
        for name in TALLY_COLUMNS
    }
    remedied: dict[str, list[np.ndarray]] = {}
    for kind in fact_kinds():
        facts, tally = log[kind.type], kind.tally
        for name in tally.count:
            columns[name] = columns[name] + count(facts["customer"])
        for name in tally.count_contact:
            remedied.setdefault(name, []).append(facts["contact"])
        if tally.minutes:
            columns[tally.minutes] = columns[tally.minutes] + count(
                facts["customer"], facts["minutes"]
            )
        if tally.money:
            if tally.price in (facts.dtype.names or ()):
                paid = count(facts["customer"], facts[tally.price])
            else:
                paid = prices.get(tally.price, 0.0) * count(facts["customer"])
            columns[tally.money] = columns[tally.money] + paid
    customer_of_contact = log[Queued]["customer"]
    for name, contact_lists in remedied.items():
        columns[name] = columns[name] + count(
            customer_of_contact[np.unique(np.concatenate(contact_lists))]
        )
    return columns


def _pick(values: np.ndarray, rows: np.ndarray, fill: Any) -> np.ndarray:
    """``values[rows]``, ``fill`` where a row is -1 (none; also when there are no values:
    a run in which every customer ended in the IVR has no contact at all)."""
    if not len(values):
        return np.full(len(rows), fill, dtype=values.dtype)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], fill)


def _purpose(kind: np.ndarray) -> np.ndarray:
    """Why each contact (rows by customer and contact) happens: a retry has the purpose of
    the contact it tries again (a retry of an escalated contact is still the escalation)."""
    rows = np.arange(len(kind))
    origin = np.maximum.accumulate(np.where(kind != ContactKind.RETRY, rows, 0))
    return kind[origin]


def _last_per_customer(who: np.ndarray, n: int) -> np.ndarray:
    """Row of each customer's last row in ``who`` (rows sorted by customer; -1: none).

    Rows with ``who == -1`` are skipped."""
    last = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(who >= 0)
    last[who[rows]] = rows  # later rows overwrite earlier ones
    return last


def _first_per_customer(who: np.ndarray, n: int) -> np.ndarray:
    first = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(who >= 0)[::-1]
    first[who[rows]] = rows
    return first
