"""Rich progress displays for the commands: each is a gis.progress.Progress that the
domain's long functions tell as their steps start.

- :class:`StepProgress`: one bar counting a function's steps (the demo load, the walking
  network import, service areas);
- :class:`ImportProgress`: one bar per phase of a layer import, counting its records;
- :class:`TaskSteps`: the steps told to one task of a rich display a command lays out
  itself (the grid audit, delineation, the hotline import).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class TaskSteps:
    """Steps counted on one task of a rich display: each step advances the task and names
    it. Items within a step are not shown: the task counts steps."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self._bar = bar
        self._task = task
        self._started = False

    def step(self, description: str, total: int | None = None) -> None:
        if self._started:
            self._bar.advance(self._task)
        self._started = True
        self._bar.update(self._task, description=description)

    def advance(self, items: int = 1) -> None:
        pass

    def describe(self, description: str) -> None:
        self._bar.update(self._task, description=description)


class StepProgress:
    """Counts ``total`` steps on one bar; says "done" on a clean exit and ``failed`` when
    an exception leaves the block. The bar appears with the first step, so a call refused
    before its work starts (a bad code, a bad parameter) draws none. Silent when not
    ``enabled``."""

    def __init__(self, total: int, *, enabled: bool = True, failed: str = "failed") -> None:
        self._bar = Progress(
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not enabled,
        )
        self._total = total
        self._failed = failed
        self._steps: TaskSteps | None = None

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._steps is None:
            return
        task = self._bar.task_ids[0]
        if kind is None:
            self._bar.update(task, description="done", completed=self._total)
        else:
            self._bar.update(task, description=self._failed)
        self._bar.stop()

    def step(self, description: str, total: int | None = None) -> None:
        """Finish the step under way (if any) and start the one described."""
        if self._steps is None:
            self._steps = TaskSteps(self._bar, self._bar.add_task(description, total=self._total))
            self._bar.start()
        self._steps.step(description)

    def advance(self, items: int = 1) -> None:
        """Items within a step: the bar counts steps."""

    def describe(self, description: str) -> None:
        """Say more about the step under way without counting a new one."""
        if self._steps is not None:
            self._steps.describe(description)


class ImportProgress:
    """Progress bars over an import's phases (reading, checking, staging, validating,
    writing) on stderr, so that ``--json`` output stays clean; silent when disabled."""

    def __init__(self, enabled: bool = False) -> None:
        self._bar = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._task: Any = None

    def __enter__(self) -> ImportProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._finish()
        self._bar.__exit__(kind, error, trace)

    def _finish(self) -> None:
        if self._task is not None:
            task = next(t for t in self._bar.tasks if t.id == self._task)
            total = task.total or 1
            self._bar.update(self._task, completed=total, total=total)

    def step(self, description: str, total: int | None = None) -> None:
        """Finish the phase under way and start a bar for the one described."""
        self._finish()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, items: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, items)

    def describe(self, description: str) -> None:
        if self._task is not None:
            self._bar.update(self._task, description=description)
