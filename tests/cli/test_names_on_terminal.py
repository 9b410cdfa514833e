"""Names on the terminal: the progress bar, the paths a command prints, library warnings.

The corpus (``tests/hostile/test_names_corpus.py``) runs hostile names through whole
commands; these are the boundaries it cannot reach from a pipe (a progress bar is only
shown on a terminal) or reaches only by a chosen path.
"""

from __future__ import annotations

import pytest
import tomli_w
from click.testing import CliRunner

from peakend.base.names import printable
from peakend.cli.main import main
from peakend.runs.executors import ProgressBar

HOSTILE = "x[/]y [bold] \x1b[31mred\r\npeakend: error: forged $\\frac{a}{b$"


def test_the_progress_bar_shows_a_hostile_name_as_text(monkeypatch, capsys) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, as far as Rich can tell
    with ProgressBar(True, HOSTILE) as bar:
        assert bar.shown
        bar.add(2)
        bar.advance()
    shown = capsys.readouterr().err
    assert printable(HOSTILE) in shown
    assert "\x1b[31mred" not in shown and "\r\npeakend" not in shown


def test_an_out_folder_with_brackets_is_printed_as_typed(tmp_path, monkeypatch) -> None:
    from conftest import busy_day_data

    monkeypatch.chdir(tmp_path)
    data = busy_day_data()
    data["name"] = HOSTILE
    (tmp_path / "day.toml").write_text(tomli_w.dumps(data))
    result = CliRunner().invoke(
        main, ["run", "day.toml", "--out", "out [/] x", "-r", "2", "--executor", "serial"]
    )
    assert result.exit_code == 0, result.output
    assert "results written to out [/] x/" in result.stdout
    assert printable(HOSTILE)[:40] in " ".join(result.stdout.split())
    assert "\x1b" not in result.output and "\r" not in result.output


@pytest.mark.parametrize("message", [HOSTILE, "plain"])
def test_a_library_warning_is_one_escaped_line(message) -> None:
    from peakend.cli import main as cli

    runner = CliRunner()
    with runner.isolation() as (_out, err, _):
        cli._one_line_warning(UserWarning(message), UserWarning, "f.py", 1)
        text = err.getvalue().decode()
    assert text == f"peakend: warning: {printable(message)}\n"
    assert len(text.splitlines()) == 1
