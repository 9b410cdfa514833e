"""Units, descriptions and sources sit once, and every page that shows them reads them.

- A scenario key's description and source sit on its schema field
  (``peakend.config.schema``); the tables of ``docs/parameters.md`` are generated from
  them (``python -m peakend.config.parameters``) and the report's assumptions table reads
  them.
- A record column's unit and description sit on its row type's field
  (``peakend.engine.records``); the data dictionary reads them, and the metrics that sum a
  customer column (``recovery_cost``...) take that column's description, which names the
  kinds of fact that add to it (their ``Tally``).
"""

from __future__ import annotations

import pytest

from peakend.analysis.registry import METRICS
from peakend.config.parameters import (
    SECTIONS,
    SOURCE_KINDS,
    parameter,
    parameters,
    render_page,
    section_table,
)
from peakend.engine.facts import fact_kinds, tallied_by
from peakend.engine.records import ContactRecord, CustomerRecord, columns_of
from peakend.output.report import ASSUMPTIONS
from peakend.store.dictionary import describe_column

from conftest import ROOT

PAGE = ROOT / "docs" / "parameters.md"


def test_the_page_holds_the_tables_the_schema_generates():
    text = PAGE.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"<!-- parameters: {section} -->" in text, section
    assert render_page(text) == text, (
        "docs/parameters.md differs from the schema's fields: run "
        "`python -m peakend.config.parameters` (descriptions and sources sit on the fields)"
    )


def test_a_page_edited_by_hand_is_told_apart():
    text = PAGE.read_text(encoding="utf-8")
    row = parameter("experience.loss_aversion")
    drifted = text.replace(row.source, "a source nobody wrote down", 1)
    assert drifted != text
    assert render_page(drifted) == text  # regenerating restores the field's source
    with pytest.raises(ValueError, match="no section 'nowhere'"):
        render_page("<!-- parameters: nowhere -->\n<!-- end parameters -->")


def test_every_key_has_a_description_and_a_source_of_a_known_kind():
    rows = parameters()
    assert len({key for row in rows for key in row.keys}) >= 130
    for row in rows:
        assert row.description, row.keys
        assert row.source.startswith(SOURCE_KINDS), (row.keys, row.source)
    assert parameter("service.follow_up_cost").source.startswith("assumption")
    assert "| `pools.NAME.warmth.mean`, `.sd` | 0.7, 0.1 |" in section_table("pools")


def test_the_report_s_assumptions_are_the_schema_s():
    for item in ASSUMPTIONS:
        try:
            row = parameter(item.key)
        except KeyError:  # the return model as a whole, the queueing model
            continue
        assert (item.what, item.source) == (row.description, row.source)
    assert sum(1 for item in ASSUMPTIONS if item.key.startswith("experience.")) >= 5


def test_the_dictionary_and_the_registry_read_the_row_types():
    for file, row in (("contacts", ContactRecord), ("customers", CustomerRecord)):
        for name, unit, description in columns_of(row):
            assert description and "{" not in description, name
            assert describe_column(file, name) == {
                "file": file,
                "column": name,
                "unit": unit,
                "description": description,
            }
    described = {name: text for name, _, text in columns_of(CustomerRecord)}
    for name in ("recovery_cost", "recovery_minutes", "extras_cost", "extras_minutes"):
        assert METRICS[name].description == described[name]


def test_a_column_names_every_kind_of_fact_that_adds_to_it():
    """The follow-up lever declared ``extras_cost`` in its own module; the dictionary, the
    registry and the periods table say so without an edit of their own."""
    assert [kind.type.__name__ for kind in tallied_by("extras_cost")] == [
        "Delighted",
        "FollowedUp",
    ]
    named = ("recoveries", "recovery_cost", "recovery_minutes", "extras_cost", "extras_minutes")
    for kind in fact_kinds():
        for name in set(kind.tally.columns()) & set(named):
            assert kind.tally.what in describe_column("customers", name)["description"], name
    assert "follow-up messages" in describe_column("periods.csv", "extras_cost")["description"]
