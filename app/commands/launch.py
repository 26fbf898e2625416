"""Start the web service as its own uvicorn process and wait until it answers.

For the tests and benchmarks that talk to onemap over HTTP as its clients do (GDAL,
ogctests, Chromium, a load generator, two servers sharing one event stream): the server
runs the way production runs it, `uvicorn app.main:create_app --factory`, configured by
the environment, in a process of its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

# Run from the checkout, so `python -m uvicorn` imports this app and not another install.
ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# FastAPI's own document: every build of the app has it, whichever routers it carries.
READY_PATH = "/openapi.json"


class ServerDidNotStart(RuntimeError):
    """The server process exited, or did not answer in time."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    database_url: str,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    start_timeout_s: float = 60.0,
) -> Iterator[str]:
    """Serve onemap on ``database_url`` from a fresh uvicorn process; yield its base URL.

    ``env`` adds ONEMAP_ settings (a smaller pool, say). The process is asked to stop
    (SIGTERM, so the lifespan closes its pool) when the block ends, and killed if it
    has not stopped within 30 s.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", HOST, "--port", str(port), "--log-level", "warning",
        "--workers", str(workers),
    ]  # fmt: skip
    environment = {**os.environ, **(env or {}), "ONEMAP_DATABASE_URL": database_url}
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    base = f"http://{HOST}:{port}"
    try:
        _wait_until_answering(process, base, start_timeout_s)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(process: subprocess.Popen[bytes], base: str, timeout_s: float) -> None:
    # uvicorn serves requests only once the lifespan has opened the pool and the event
    # feed, so the first answer means the service is ready (with several workers: that
    # one of them is; the others follow within moments).
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(base + READY_PATH, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise ServerDidNotStart(f"onemap server on {base} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"onemap server did not answer on {base} in {timeout_s:.0f} s")
        time.sleep(0.2)
