"""Exit codes of the `onemap` command line, in one place.

Each name says what the code tells the script or scheduler that ran the command; several
names share a number where the shell cannot tell them apart but a reader should.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

OK = 0
# The command ran and its answer is no: the input was refused and nothing was written, or
# what it names does not exist (a community, a token, a proposal's grids).
REFUSED = 1
# The command ran and found what it looks for: an audit's findings, centres below their
# standard, no choice of sites that reaches the target.
FINDINGS = 1
# A step failed for a reason the command does not tell apart: the cluster would not start,
# a migration or the demo load failed; `import` and `grids` answer a failing database so.
FAILED = 1
# A bad option or argument (Typer's own usage errors exit 2 too).
USAGE = 2
# The database failed, or (`onemap db status`) is not running.
DATABASE = 3
# Stopped with Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 130

_stderr = Console(stderr=True)


def fail(problem: object, code: int) -> NoReturn:
    """Print ``error: problem`` on stderr and end the command with ``code``."""
    _stderr.print(f"[red]error:[/red] {problem}")
    raise typer.Exit(code)
