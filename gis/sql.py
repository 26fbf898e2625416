"""The one loader of the project's SQL: each package keeps its queries beside it in
``gis/<package>/sql/<name>.sql`` and asks for them as ``query("<package>/<name>")``."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def query(name: str) -> str:
    """The text of ``gis/<package>/sql/<stem>.sql`` for ``name`` = ``"<package>/<stem>"``."""
    package, _, stem = name.partition("/")
    if not package or not stem:
        raise ValueError(f"SQL names read '<package>/<name>', not {name!r}")
    return resources.files(f"gis.{package}").joinpath("sql", f"{stem}.sql").read_text("utf-8")
