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


def functions() -> list[str]:
    """Names ``"<package>/<stem>"`` of every ``gis/<package>/sql/functions/<stem>.sql``.

    Sorted, which is the order ``onemap migrate`` applies them in. A file defines database
    functions with ``CREATE OR REPLACE FUNCTION`` and the triggers that call them with
    ``CREATE OR REPLACE TRIGGER`` after them (or a view over them, ``CREATE OR REPLACE
    VIEW``), so running it again changes nothing.
    PL/pgSQL bodies are checked only when they run, but a ``LANGUAGE sql`` body is checked
    when it is created: a SQL function calling another project function must sort after
    the file defining it.
    """
    names = []
    for package in resources.files("gis").iterdir():
        folder = package.joinpath("sql", "functions")
        if folder.is_dir():
            names += [
                f"{package.name}/{file.name.removesuffix('.sql')}"
                for file in folder.iterdir()
                if file.name.endswith(".sql")
            ]
    return sorted(names)


def function(name: str) -> str:
    """The text of ``gis/<package>/sql/functions/<stem>.sql`` for ``"<package>/<stem>"``."""
    package, _, stem = name.partition("/")
    if not package or not stem:
        raise ValueError(f"function files are named '<package>/<name>', not {name!r}")
    folder = resources.files(f"gis.{package}").joinpath("sql", "functions")
    return folder.joinpath(f"{stem}.sql").read_text("utf-8")
