"""``--json``: a command's results as one JSON document on stdout, for scripts.

The document is the run directory's ``summary.json`` content (``peakend run``,
``compare``, ``sweep``) or the validation report (``peakend validate``), with
where the results were written; tables are not printed, and progress, warnings
and errors stay on stderr, so ``peakend run x.toml --json | jq .metrics`` works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["echo_json", "json_option"]


F = TypeVar("F", bound=Callable[..., Any])


def json_option(command: F) -> F:
    """Add ``--json`` (passed as ``json_output``)."""
    return click.option(
        "--json",
        "json_output",
        is_flag=True,
        help="Print the results as one JSON document on stdout (for scripts) instead of "
        "tables (warnings included); progress and errors stay on stderr.",
    )(command)


def echo_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout: keys in order, NaN and infinity as null."""
    import json

    from peakend.store.files import json_safe

    click.echo(json.dumps(json_safe(data), indent=2, allow_nan=False))
