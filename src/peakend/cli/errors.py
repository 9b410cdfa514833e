"""How the command line reports failures: one line each, a documented exit status.

- 0: success;
- 1: a replication failed (its traceback is in the run directory's
  ``errors.log``), a validation check failed, writing failed (a full disk), or
  an internal error (its traceback in a file named in the message);
- 2: bad input: a file, a key, an option, an output folder that may not be used,
  an optional feature whose extra is not installed (``--dask`` without ``peakend[dask]``);
- 130: interrupted (Ctrl-C); finished replications are kept.

The library raises its own exceptions in its own terms (``workers must be at
least 1``); this module translates them into messages that name the options
(``--workers``), prints them on stderr and exits. Nothing prints a traceback:
an unexpected exception is summarised in one line and its traceback written to
a file named in that line.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from peakend.base.errors import ConfigError
from peakend.base.names import printable
from peakend.config.extras import MissingExtraError
from peakend.runs.errors import ReplicationError, RunInterrupted
from peakend.runs.executors import ExecutorError, NoWorkersError
from peakend.store.rundir import OutputError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "OneLineErrorGroup",
    "fail",
    "friendly_errors",
    "save_traceback",
]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C

# Which command-line option sets each executor parameter.
_EXECUTOR_OPTIONS = {
    "address": "--dask",
    "workers": "--workers",
    "kind": "--executor",
    "timeout_seconds": "--dask-timeout",
}


def fail(message: str | Sequence[str], status: int) -> NoReturn:
    """Print ``peakend: error: MESSAGE`` on stderr and exit with ``status``.

    A string is one line: names and paths in it are shown escaped
    (:func:`~peakend.base.names.printable`: a newline in a name is ``\\n``), so
    nothing a user typed can forge a line. A sequence (the problems of a
    :class:`ConfigError`) is one line each.
    """
    lines = [message] if isinstance(message, str) else list(message) or [""]
    for line in lines:
        click.echo(f"peakend: error: {printable(line)}", err=True)
    sys.exit(status)


def save_traceback(text: str, folder: Path | None = None, name: str = "errors.log") -> Path:
    """Write ``text`` to ``folder/name``, or to a new file in the temporary directory."""
    if folder is not None:
        try:
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            pass  # the folder is the problem: fall back to the temporary directory
    handle = tempfile.NamedTemporaryFile(
        "w", prefix="peakend-errors-", suffix=".log", delete=False, encoding="utf-8"
    )
    with handle:
        handle.write(text)
    return Path(handle.name)


def _output_message(exc: OutputError) -> str:
    if exc.overwritable:
        problem = _options(exc.problem)
        return f"{exc.path}: {problem}; choose another --out, or pass --overwrite to replace it"
    return _options(str(exc))


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"cannot write results: {where}{exc.strerror or exc}"


# Library parameters named in messages, and the options that set them.
_PARAMETER_OPTIONS = {
    "force_workers": "--force-workers",
    "allow_version_change=True": "--allow-version-change",
    "overwrite=True": "--overwrite",
    "(to='csv')": "(--to csv)",
    "sep=';' with decimal=','": "--sep ';' with --decimal ','",
    "(memory_budget_bytes)": "(--memory-budget)",
    "(max_scenarios)": "(--max-scenarios)",
    "(timeout_seconds)": "(--dask-timeout)",
}


def _options(message: str) -> str:
    for parameter, option in _PARAMETER_OPTIONS.items():
        message = message.replace(parameter, option)
    return message


def friendly_errors(command: F) -> F:
    """Turn every failure a user can cause into one line on stderr and an exit status."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except OutputError as exc:
            fail(_output_message(exc), EXIT_BAD_INPUT)
        except NoWorkersError as exc:  # the cluster failed during the run, not the input
            fail(f"--dask {exc.value!r}: {_options(exc.problem)}", EXIT_FAILED)
        except ExecutorError as exc:
            option = _EXECUTOR_OPTIONS.get(exc.parameter, exc.parameter)
            fail(f"{option} {exc.value!r}: {_options(exc.problem)}", EXIT_BAD_INPUT)
        except ConfigError as exc:
            fail([_options(problem) for problem in exc.problems], EXIT_BAD_INPUT)
        except MissingExtraError as exc:
            option = _EXECUTOR_OPTIONS.get(exc.parameter, exc.parameter)
            fail(f"{option}: {exc}" if option else str(exc), EXIT_BAD_INPUT)
        except ReplicationError as exc:
            fail(str(exc), EXIT_FAILED)
        except (KeyboardInterrupt, RunInterrupted):
            click.echo("peakend: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            fail(_os_message(exc), EXIT_FAILED)
        except MemoryError:
            fail("out of memory: make the scenario smaller (horizon, rates, agents)", EXIT_FAILED)
        except Exception as exc:
            log = save_traceback(traceback.format_exc(), name="peakend-internal-error.log")
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            fail(
                f"internal error {type(exc).__name__}: {first} (a bug; traceback in {log})",
                EXIT_FAILED,
            )

    return wrapper  # type: ignore[return-value]


class OneLineErrorGroup(click.Group):
    """A click group whose usage errors (a bad option value, a missing argument) are
    one ``peakend: error:`` line with exit status 2, like every other error."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            command = exc.ctx.command.name if exc.ctx and exc.ctx.parent else None
            where = f"{command}: " if command else ""
            message = " ".join(exc.format_message().split())
            fail(f"{where}{message} (see --help)", exc.exit_code)
        except click.Abort:
            click.echo("peakend: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            fail(" ".join(exc.format_message().split()), exc.exit_code)
