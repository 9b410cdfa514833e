"""Starting scenarios: the example configs that ship inside the package.

The wheel carries the repository's ``configs/*.toml`` as package data
(``peakend/examples/``, a link to ``configs/`` in a checkout, so there is one
copy); ``peakend init`` writes one of them as the start of a new scenario.
A template's name is its file name without ``.toml``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from peakend.base.errors import ConfigError, did_you_mean, listing

__all__ = ["DEFAULT_TEMPLATE", "available_templates", "template_text", "write_template"]

DEFAULT_TEMPLATE = "contact_centre"


def _examples() -> Traversable:
    return resources.files("peakend") / "examples"


def available_templates() -> dict[str, str]:
    """Each template's name and its ``description``, sorted by name."""
    found = {}
    for entry in sorted(_examples().iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found[entry.name.removesuffix(".toml")] = str(data.get("description", ""))
    return found


def template_text(name: str) -> str:
    """The commented TOML of template ``name``.

    Raises
    ------
    ConfigError
        For a name that is not a template (with the nearest name and the list).
    """
    names = available_templates()
    if name not in names:
        raise ConfigError(
            f"unknown template {name!r}; {did_you_mean(name, names)}available: {listing(names)}"
        )
    return (_examples() / f"{name}.toml").read_text(encoding="utf-8")


def write_template(name: str, path: str | Path, overwrite: bool = False) -> Path:
    """Write template ``name`` to ``path`` (a file, or a folder to hold ``NAME.toml``),
    creating missing folders.

    Raises
    ------
    ConfigError
        For an unknown template.
    FileExistsError
        When the file exists and ``overwrite`` is false; nothing is written.
    """
    text = template_text(name)
    target = Path(path)
    if target.is_dir():
        target = target / f"{name}.toml"
    if target.exists() and not overwrite:
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
