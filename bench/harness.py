"""What the HTTP benchmarks share: a scratch database with the demo district, points to
report at, a lean HTTP/1.1 client, and the server's process (for the fault benches).

Each benchmark creates its own database on the local cluster (or on
``ONEMAP_TEST_ADMIN_URL``), named after itself, so two benchmarks can run side by side.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from app.commands import devdb
from app.commands.migrate import upgrade
from gis import demo

CATEGORIES = ("0101", "0201", "0301", "0701", "0901")
REPORTS_PATH = "/api/v1/events"
# The reporters of a benchmark all come from this machine, one address: the per-address
# limit on public reports is off for their server.
NO_REPORT_LIMIT = {"ONEMAP_PUBLIC_REPORTS_PER_MINUTE": "0"}
# The answer errors a connection can end in: reset, refused, cut short, garbled.
CONNECTION_ERRORS = (OSError, ValueError, IndexError, asyncio.IncompleteReadError)


def admin_url() -> str:
    if os.environ.get("ONEMAP_TEST_ADMIN_URL"):
        return os.environ["ONEMAP_TEST_ADMIN_URL"]
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A fresh, empty database ``name`` for the block; dropped afterwards."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class District:
    """A scratch database with the demo district (seed 7): where to report, and the last
    event id of the demo's own events (the benchmark's come after it)."""

    url: str
    points: list[tuple[float, float]]
    last_demo_event: int


@contextmanager
def demo_district(admin_url: str, name: str, points: int = 20000) -> Iterator[District]:
    with scratch_database(admin_url, name) as url:
        upgrade(url)
        with psycopg.connect(url) as conn:
            demo.load(conn, scale="district", seed=7)
        yield District(url, scattered_points(url, points), last_event_id(url))


def last_event_id(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int((conn.execute("SELECT max(event_id) FROM events").fetchone() or [0])[0] or 0)


def scattered_points(url: str, count: int) -> list[tuple[float, float]]:
    """``count`` points scattered over the grids, each grid's share by its area. Reports
    at a handful of repeated points would make almost every one a likely duplicate of
    the last (and the duplicate search slower with every report); scattered points give
    the few duplicates a district sees."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT ST_X(p.geom), ST_Y(p.geom) FROM ("
            " SELECT ST_Union(geom) AS geom FROM grids) AS district,"
            " ST_Dump(ST_GeneratePoints(district.geom, %s, 7)) AS p",
            (count,),
        ).fetchall()
    return [(float(lon), float(lat)) for lon, lat in rows]


def report_body(points: list[tuple[float, float]]) -> bytes:
    """A resident's report (GeoJSON Feature) at one of ``points``."""
    lon, lat = random.choice(points)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"category": random.choice(CATEGORIES), "description": "压测事件"},
    }
    return json.dumps(feature, ensure_ascii=False).encode()


def percentile(values: list[float], q: float) -> float:
    """The value below which a share ``q`` of ``values`` lies (0 for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Client:
    """One keep-alive HTTP/1.1 connection on bare asyncio streams. httpx.AsyncClient
    spent 7.4 ms of CPU per request at 50 clients here, more than the server (4.2 ms) and
    PostgreSQL (2.6 ms) together: on two shared cores the load generator, not the
    service, set the pace."""

    def __init__(self, base: str) -> None:
        self.base = base
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def request(self, path: str, body: bytes, key: str) -> bytes:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/geo+json\r\nContent-Length: {len(body)}\r\n"
            f"Idempotency-Key: {key}\r\n\r\n"
        )
        return head.encode("ascii") + body

    async def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        return self.streams

    async def post(self, path: str, body: bytes, key: str) -> Answer:
        reader, writer = await self._connected()
        try:
            writer.write(self.request(path, body, key))
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            if headers.get("connection", "").lower() == "close":
                self.close()
            return Answer(status, headers, body)
        except BaseException:
            # cut short (an error, or a timeout cancelling us): the stream is unusable
            self.close()
            raise

    async def hang_up_after(self, path: str, body: bytes, key: str, sent: int) -> None:
        """Send the first ``sent`` bytes of the request, then close the connection
        without reading an answer: a phone losing its signal mid-request."""
        _, writer = await self._connected()
        try:
            writer.write(self.request(path, body, key)[:sent])
            await writer.drain()
        finally:
            self.close()

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def server_pid(base: str) -> int:
    """The process of the uvicorn this process started (app.commands.launch.served) for
    ``base``, to kill it as a crash would."""
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"uvicorn" in arguments and port.encode() in arguments:
            return int(entry.name)
    raise LookupError(f"no server process of ours listens on {base}")
