"""A progress bar over a long command's named steps (the demo load, network imports)."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class StepProgress:
    """Counts ``total`` steps under ``title``; says "done" on a clean exit and ``failed``
    when an exception leaves the block. Silent when not ``enabled``."""

    def __init__(self, title: str, total: int, *, enabled: bool, failed: str = "failed") -> None:
        self._bar = Progress(
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not enabled,
        )
        self._total = total
        self._failed = failed
        self._task = self._bar.add_task(title, total=total)
        self._started = False

    def __enter__(self) -> StepProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self._bar.update(self._task, description="done", completed=self._total)
        else:
            self._bar.update(self._task, description=self._failed)
        self._bar.__exit__(kind, error, trace)

    def step(self, description: str) -> None:
        """Finish the step under way (if any) and start the one described."""
        if self._started:
            self._bar.advance(self._task)
        self._started = True
        self._bar.update(self._task, description=description)

    def describe(self, description: str) -> None:
        """Say more about the step under way without counting a new one."""
        self._bar.update(self._task, description=description)
