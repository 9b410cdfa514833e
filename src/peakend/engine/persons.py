"""Replayed redials: several arrivals of a replay that are one customer.

A replay may give each arrival a customer id (``arrivals.times_customer``). Every
arrival still runs its own journey with its own draws, at its own time; the
recorder then files the facts of all arrivals of one id under one customer (a
*person*), so that the customer table has one row per person, the contacts
table numbers a person's contacts 1, 2, ... in the order they queued, and the
experience model builds one trace, and one memory, over all of them.

- A person's arrival time, segment and channel are those of its first arrival;
  each contact keeps the segment of its own arrival (a contact type).
- A later arrival's first contact is a redial: a ``retry`` if the person's
  contact before it was abandoned, else a ``recontact`` (a repeat contact);
  an arrival that never queued (it ended in the IVR) adds no contact and no effort.
- The outcome is that of the person's last arrival's journey.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peakend.engine.facts import ContactKind, Finished, GaveUp, InIvr, Queued

__all__ = ["Persons", "persons_of"]


@dataclass(frozen=True)
class Persons:
    """Who each arrival of a replay is: ``of_arrival[i]``, persons numbered 0, 1, ... in
    the order of their first arrival."""

    of_arrival: np.ndarray
    first_arrival: np.ndarray
    """Per person: the index of its first arrival."""
    last_arrival: np.ndarray
    """Per person: the index of its last arrival."""

    def __len__(self) -> int:
        return len(self.first_arrival)


def persons_of(ids: tuple[str, ...] | list[str]) -> Persons:
    """The persons of a replay's customer ids (one per arrival, in arrival order)."""
    number: dict[str, int] = {}
    of_arrival = np.fromiter(
        (number.setdefault(name, len(number)) for name in ids), dtype=np.int64, count=len(ids)
    )
    rows = np.arange(len(ids))
    first = np.full(len(number), len(ids), dtype=np.int64)
    np.minimum.at(first, of_arrival, rows)
    last = np.full(len(number), -1, dtype=np.int64)
    np.maximum.at(last, of_arrival, rows)
    return Persons(of_arrival, first, last)


def file_by_person(arrays: dict[type, np.ndarray], persons: Persons) -> np.ndarray:
    """Refile the facts (by arrival) under persons, in place; returns each contact's
    segment source: the arrival it belongs to (by contact number in the replication).

    Finished facts of a person's earlier arrivals are dropped (its last arrival's
    journey decides the outcome); redials are relabelled (module docstring); an IVR
    stay's ``number`` becomes the person's contact it came before.
    """
    queued = arrays[Queued]
    arrival_of_contact = queued["customer"].copy()
    finished = arrays[Finished]
    keep = persons.last_arrival[persons.of_arrival[finished["customer"]]] == finished["customer"]
    arrays[Finished] = finished[keep]
    for facts in arrays.values():
        if facts.dtype.names and "customer" in facts.dtype.names:
            facts["customer"] = persons.of_arrival[facts["customer"]]
    _relabel_redials(queued, arrays[GaveUp])
    _renumber_ivr_stays(arrays[InIvr], queued)
    return arrival_of_contact


def _relabel_redials(queued: np.ndarray, gave_up: np.ndarray) -> None:
    """A person's contact that opened a later arrival's journey is a retry or a recontact."""
    abandoned = np.zeros(len(queued), dtype=bool)
    abandoned[gave_up["contact"]] = True
    order = np.argsort(queued["customer"], kind="stable")  # by person, then queue order
    person = queued["customer"][order]
    follows = np.zeros(len(order), dtype=bool)
    follows[1:] = person[1:] == person[:-1]
    redial = follows & (queued["kind"][order] == ContactKind.FIRST)
    rows = order[redial]
    before = order[np.flatnonzero(redial) - 1]
    queued["kind"][rows] = np.where(abandoned[before], ContactKind.RETRY, ContactKind.RECONTACT)


def _renumber_ivr_stays(stays: np.ndarray, queued: np.ndarray) -> None:
    """An IVR stay comes before the person's contact numbered one more than the person's
    contacts queued before the stay ended (a contact queued at the very end of the stay
    is the one it came before)."""
    if not len(stays):
        return
    m = len(queued)
    person = np.concatenate([queued["customer"], stays["customer"]])
    at = np.concatenate([queued["at"], stays["at"] + stays["minutes"]])
    is_contact = np.concatenate([np.ones(m, dtype=np.int64), np.zeros(len(stays), np.int64)])
    order = np.lexsort((is_contact, at, person))  # by person, time; a stay before a tie
    contacts_up_to = np.cumsum(is_contact[order])
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    stay_position = position[m:]
    earlier_persons = np.searchsorted(np.sort(queued["customer"]), stays["customer"], side="left")
    stays["number"] = contacts_up_to[stay_position] - earlier_persons + 1
