"""Names are data: each shown form of a user string (terminal, Rich, mathtext, HTML,
file names), unit tests and properties over any string."""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.base.errors import ConfigError
from peakend.base.names import (
    MAX_FILE_NAME_LENGTH,
    html_text,
    plot_text,
    printable,
    rich_text,
    safe_name,
    unique_file_names,
)

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Every string, with the characters that matter here made likely.
HOSTILE = st.text(
    st.one_of(
        st.characters(codec=None),
        st.sampled_from(list("$[]/\\<>&\"'\x1b\r\n\x07\x00\x9b\u2028\u202e:{}_.")),
    ),
    max_size=60,
)


def unsafe_characters(text: str) -> list[str]:
    """Characters that could change how a line reads: controls, separators, bidi, surrogates."""
    return [
        char
        for char in text
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI
    ]


# ---------------------------------------------------------------------- printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain name", "plain name"),
        ("a\npeakend: error: forged", "a\\npeakend: error: forged"),
        ("ok\rpeakend: error: forged", "ok\\rpeakend: error: forged"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07 nul\x00 del\x7f csi\x9b", "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("tab\there", "tab\\there"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("lone \ud800", "lone \\ud800"),
        ("Ünïcödé 中文 עברית 😀 e\u0301", "Ünïcödé 中文 עברית 😀 e\u0301"),
        ("a\\nb", "a\\nb"),  # a backslash and an n, as typed
    ],
)
def test_printable_makes_controls_visible_and_keeps_everything_else(text, shown) -> None:
    assert printable(text) == shown


@given(HOSTILE)
def test_the_terminal_form_is_one_line_without_controls(text) -> None:
    shown = printable(text)
    assert unsafe_characters(shown) == []
    assert len(shown.splitlines()) <= 1
    assert printable(shown) == shown


@given(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_text_without_controls_is_shown_as_typed(text) -> None:
    if not BIDI & set(text):
        assert printable(text) == text


def test_a_config_error_is_one_line_per_problem_whatever_it_quotes() -> None:
    error = ConfigError("f.toml: pools.a\npeakend: error: forged: bad", "f.toml: second\x1b[2J")
    assert str(error).splitlines() == [
        "f.toml: pools.a\\npeakend: error: forged: bad",
        "f.toml: second\\x1b[2J",
    ]
    assert error.problems == tuple(str(error).splitlines())


# -------------------------------------------------------------------------- Rich


def _printed(*renderables: object) -> str:
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    for renderable in renderables:
        console.print(renderable, soft_wrap=True)
    return console.export_text()


@given(HOSTILE)
def test_rich_prints_the_printable_text_never_markup(text) -> None:
    assert _printed(rich_text(text), rich_text(text, "bold") + " x") == (
        f"{printable(text)}\n{printable(text)} x\n"
    )


@pytest.mark.parametrize(
    "text", ["[bold]x[/bold]", "x[/]y", "[link=https://e.example]c[/link]", ":smile:", "a\\"]
)
def test_rich_prints_markup_and_emoji_codes_as_typed(text) -> None:
    assert _printed(rich_text(text)) == f"{text}\n"


# ---------------------------------------------------------------------- mathtext


def _drawn(text: str) -> str:
    """What matplotlib draws for ``text`` (no mathtext), after drawing it in a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 1))
    try:
        label = figure.text(0.1, 0.5, text)
        figure.canvas.draw()  # mathtext, were it parsed, would raise here
        shown, math = label._preprocess_math(label.get_text())
        assert math is False
        return str(shown)
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    "text", ["$\\frac{a}{b$", "$$", "\\$", "$x$ and $y$", "price $5 to $6", "$\\alpha$"]
)
def test_the_plot_form_draws_dollars_never_mathtext(text) -> None:
    assert _drawn(plot_text(text)) == text


@settings(max_examples=40, deadline=None)
@given(HOSTILE)
def test_any_string_draws_without_error_and_reads_as_its_printable_form(text) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the font
        assert _drawn(plot_text(text)) == printable(text)


def test_a_long_name_is_cut_in_a_plot_title() -> None:
    shown = plot_text("$" * 100, limit=10)
    assert shown == "\\$" * 9 + "…"


# -------------------------------------------------------------------------- HTML


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data) -> None:
        self.text.append(data)


@given(HOSTILE)
def test_the_html_form_parses_back_to_the_printable_text(text) -> None:
    parser = _Collect()
    parser.feed(f'<p title="{html_text(text)}">{html_text(text)}</p>')
    parser.close()
    assert "".join(parser.text) == printable(text)
    assert parser.tags == [("p", [("title", printable(text))])]


def test_html_text_escapes_script_and_attributes() -> None:
    assert html_text("</script><script>x()</script>") == (
        "&lt;/script&gt;&lt;script&gt;x()&lt;/script&gt;"
    )
    assert html_text('" onmouseover="x()') == "&quot; onmouseover=&quot;x()"
    assert html_text(3) == "3"


# -------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "etc_passwd"),
        ("x[/]y", "x_y"),
        ("..", "unnamed"),
        ("nul\x00byte", "nul_byte"),
        ("con", "con_"),
        ("NUL.txt", "NUL_.txt"),
        ("com1", "com1_"),
        ("console", "console"),
        ("😀", "unnamed"),
        ("\u202eevil", "evil"),
    ],
)
def test_safe_name_gives_one_harmless_component(name, component) -> None:
    assert safe_name(name) == component


@given(HOSTILE)
def test_any_name_gives_a_safe_component(name) -> None:
    component = safe_name(name)
    assert 1 <= len(component) <= MAX_FILE_NAME_LENGTH
    assert component.isascii() and "/" not in component and "\\" not in component
    assert ".." not in component and not component.startswith((".", "_"))
    assert safe_name(component) == component


def test_unique_file_names_keep_distinct_names_apart() -> None:
    names = unique_file_names(["a/b", "a_b", "agents", "a b"])
    assert names["agents"] == "agents"
    assert len(set(names.values())) == 4
    assert all(value.startswith("a_b-") for key, value in names.items() if key != "agents")
    long = unique_file_names(["x" * 300, "x" * 301])
    assert len(set(long.values())) == 2
    assert all(len(value) <= MAX_FILE_NAME_LENGTH for value in long.values())


# ------------------------------------------------------- what a name may hold


def _scenario(**names: str) -> dict:
    pool = names.get("pool", "agents")
    return {
        "name": names.get("name", "n"),
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [10]},
        "segments": {names.get("segment", "all"): {"share": 1.0}},
        "channels": {names.get("channel", "phone"): {"share": 1.0}},
        "pools": {pool: {"staffing": [1]}},
    }


@pytest.mark.parametrize("key", ["name", "segment", "channel", "pool"])
@pytest.mark.parametrize(
    "text", ["a\npeakend: error: x", "[/]$\\frac{a}{b$\x1b\x00", "\u202e😀", "n" * 128]
)
def test_any_characters_make_a_name_that_round_trips(key, text) -> None:
    import tomllib

    from peakend.config.loading import scenario_from_dict, scenario_to_toml

    scenario = scenario_from_dict(_scenario(**{key: text}))
    again = scenario_from_dict(tomllib.loads(scenario_to_toml(scenario)))
    assert again == scenario


@pytest.mark.parametrize(
    ("key", "text", "where"),
    [
        ("name", "n" * 129, "t.toml: name: String should have at most 128 characters"),
        ("pool", "p" * 129, "t.toml: pools." + "p" * 57 + "...: a name has 1 to 128 characters"),
        ("segment", "", 't.toml: segments."": a name has 1 to 128 characters, this one 0'),
        ("channel", "c\n" * 70, "t.toml: channels." + "c\\n" * 19),
    ],
)
def test_a_name_too_long_or_empty_is_one_line_naming_the_key(key, text, where) -> None:
    from peakend.config.loading import scenario_from_dict

    with pytest.raises(ConfigError) as raised:
        scenario_from_dict(_scenario(**{key: text}), source="t.toml")
    (line,) = str(raised.value).splitlines()
    assert line.startswith(where), line


# A TOML file is UTF-8 and cannot hold a lone surrogate: the strings of a file.
FILE_TEXT = HOSTILE.filter(lambda text: not any("\ud800" <= char <= "\udfff" for char in text))


@given(st.dictionaries(FILE_TEXT, FILE_TEXT, max_size=4))
def test_toml_text_loads_back_equal_and_prints_one_name_a_line(data) -> None:
    import tomllib

    import tomli_w

    from peakend.base.names import toml_text

    document = toml_text(tomli_w.dumps(data))
    assert tomllib.loads(document) == data
    assert [char for char in unsafe_characters(document) if char != "\n"] == []
    assert len(document.splitlines()) == len(data)


def test_show_prints_a_hostile_name_escaped(tmp_path) -> None:
    import tomli_w
    from click.testing import CliRunner

    from peakend.cli.main import main

    path = tmp_path / "s.toml"
    path.write_text(tomli_w.dumps(_scenario(name="a\u202eb\x9bc\u2028d", pool="p\x1b[2J")))
    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 0, result.output
    assert 'name = "a\\u202eb\\u009bc\\u2028d"' in result.output
    assert '[pools."p\\u001b[2J"' in result.output
    assert [char for char in unsafe_characters(result.output) if char != "\n"] == []
