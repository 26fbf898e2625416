"""The `onemap` command line run as a user runs it: the installed script in a process of
its own, with the test's environment, its output captured as text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ONEMAP = str(Path(sys.executable).with_name("onemap"))


def onemap(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``onemap *args`` with ``env`` added to this process's environment."""
    return subprocess.run(
        [ONEMAP, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
