"""How long domain work tells its progress: one small convention; the caller shows it.

The long functions (the demo load, layer and network imports, service areas, the grid
audit, delineation, the hotline import) take ``progress: Progress = SILENT`` and tell it
as each step starts. The domain never draws: the command line passes rich bars
(app/commands/progress.py), a notebook passes nothing or :class:`OnStep` (``print``), the
API passes nothing. Functions that count their steps say how many in a ``STEPS`` constant,
so a bar knows its length before the first step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    """What a long function tells whoever watches it."""

    def step(self, description: str, total: int | None = None) -> None:
        """A step starts and the one under way is done; ``total``: the items the new
        step will count with :meth:`advance`, when it counts any."""

    def advance(self, items: int = 1) -> None:
        """``items`` more of the step under way are done."""

    def describe(self, description: str) -> None:
        """Say more about the step under way without starting another."""


class Silent:
    """Progress told to no one: the default."""

    def step(self, description: str, total: int | None = None) -> None:
        """Ignore the step."""

    def advance(self, items: int = 1) -> None:
        """Ignore the items."""

    def describe(self, description: str) -> None:
        """Ignore the description."""


SILENT: Progress = Silent()


class OnStep(Silent):
    """Progress as one function called with each step's description (logs, timings)."""

    def __init__(self, on_step: Callable[[str], None]) -> None:
        self._on_step = on_step

    def step(self, description: str, total: int | None = None) -> None:
        """Call the function with the step's description."""
        self._on_step(description)
