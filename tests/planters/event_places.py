"""A small planted district for the event tests, events planted in any stage, tokens for
every role, and a way to run the async library from a test.

District 450105 is the box 108.25–108.40 E × 22.75–22.90 N. Subdistrict 450105001
(108.30–108.34 × 22.80–22.84) holds community WEST (108.30–108.32; grids WEST_SOUTH below
22.82 and WEST_NORTH above) and community EAST (108.32–108.34; one grid EAST_GRID, which
leaves the strip above 22.835 uncovered: a gap for events in no grid). Subdistrict
450105002 (108.34–108.38 × 22.80–22.84) is community FAR with grid FAR_GRID. Compounds:
幸福小区 in EAST, and two called 铁路宿舍 (in WEST and FAR) for ambiguous addresses.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import psycopg
import shapely

from gis import tokens
from tests.planters.databases import database

T = TypeVar("T")
CHINA = timezone(timedelta(hours=8))
# A fixed "report time" for planted cases, so deadlines are exact.
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=CHINA)

COUNTY = "450105"
SUB_A, SUB_B = "450105001", "450105002"
WEST, EAST, FAR = "450105001001", "450105001002", "450105002001"
WEST_SOUTH, WEST_NORTH = WEST + "001", WEST + "002"
EAST_GRID, FAR_GRID = EAST + "001", FAR + "001"
# Points well inside each grid (lon, lat), one in the gap, one outside the district.
IN_WEST_SOUTH = (108.31, 22.81)
IN_WEST_NORTH = (108.31, 22.83)
IN_EAST = (108.33, 22.81)
IN_FAR = (108.36, 22.82)
IN_GAP = (108.33, 22.838)
OUTSIDE = (108.50, 22.95)

_ROWS = (
    ("districts", "county_code, name", (COUNTY, "江南区"), (108.25, 22.75, 108.40, 22.90)),
    (
        "subdistricts",
        "subdistrict_code, county_code, name, kind",
        (SUB_A, COUNTY, "福建园街道", "street"),
        (108.30, 22.80, 108.34, 22.84),
    ),
    (
        "subdistricts",
        "subdistrict_code, county_code, name, kind",
        (SUB_B, COUNTY, "江南街道", "street"),
        (108.34, 22.80, 108.38, 22.84),
    ),
    (
        "communities",
        "community_code, subdistrict_code, county_code, name, kind",
        (WEST, SUB_A, COUNTY, "西园社区居委会", "community"),
        (108.30, 22.80, 108.32, 22.84),
    ),
    (
        "communities",
        "community_code, subdistrict_code, county_code, name, kind",
        (EAST, SUB_A, COUNTY, "东葛社区居委会", "community"),
        (108.32, 22.80, 108.34, 22.84),
    ),
    (
        "communities",
        "community_code, subdistrict_code, county_code, name, kind",
        (FAR, SUB_B, COUNTY, "平丹村委会", "village"),
        (108.34, 22.80, 108.38, 22.84),
    ),
    (
        "grids",
        "grid_code, community_code, county_code, name, grid_type",
        (WEST_SOUTH, WEST, COUNTY, "西园一网格", "base"),
        (108.30, 22.80, 108.32, 22.82),
    ),
    (
        "grids",
        "grid_code, community_code, county_code, name, grid_type",
        (WEST_NORTH, WEST, COUNTY, "西园二网格", "base"),
        (108.30, 22.82, 108.32, 22.84),
    ),
    (
        "grids",
        "grid_code, community_code, county_code, name, grid_type",
        (EAST_GRID, EAST, COUNTY, "东葛一网格", "base"),
        (108.32, 22.80, 108.34, 22.835),
    ),
    (
        "grids",
        "grid_code, community_code, county_code, name, grid_type",
        (FAR_GRID, FAR, COUNTY, "平丹一网格", "base"),
        (108.34, 22.80, 108.38, 22.84),
    ),
    (
        "compounds",
        "community_code, county_code, name, compound_type",
        (EAST, COUNTY, "幸福小区", "commercial"),
        (108.325, 22.805, 108.327, 22.807),
    ),
    (
        "compounds",
        "community_code, county_code, name, compound_type",
        (WEST, COUNTY, "铁路宿舍", "work_unit"),
        (108.305, 22.805, 108.307, 22.807),
    ),
    (
        "compounds",
        "community_code, county_code, name, compound_type",
        (FAR, COUNTY, "铁路宿舍", "work_unit"),
        (108.35, 22.81, 108.352, 22.812),
    ),
)
ROLES = ("admin", "staff", "auditor", "planner", "open311")


def plant(url: str) -> dict[str, str]:
    """Plant the places; return tokens: one per role, grid members of WEST_SOUTH
    (``member``) and EAST_GRID (``east_member``), handlers of the departments chengguan
    (``handler``) and shuiwu (``other_handler``), staff of another county (``foreign``)."""
    with psycopg.connect(url) as conn:
        for table, columns, values, box in _ROWS:
            marks = ", ".join(["%s"] * len(values))
            conn.execute(
                f"INSERT INTO {table} ({columns}, geom)"
                f" VALUES ({marks}, ST_Multi(ST_GeomFromText(%s, 4326)))",
                (*values, shapely.box(*box).wkt),
            )
        secrets = {role: tokens.create(conn, name=f"test {role}", role=role) for role in ROLES}
        secrets["member"] = tokens.create(
            conn, name="网格员甲", role="grid_member", grid_code=WEST_SOUTH
        )
        secrets["east_member"] = tokens.create(
            conn, name="网格员乙", role="grid_member", grid_code=EAST_GRID
        )
        secrets["handler"] = tokens.create(
            conn, name="城管局", role="department", department="chengguan"
        )
        secrets["other_handler"] = tokens.create(
            conn, name="水务局", role="department", department="shuiwu"
        )
        secrets["foreign"] = tokens.create(
            conn, name="other county", role="staff", county_code="450103"
        )
    return secrets


@contextmanager
def planted_database(admin_url: str, template: str, label: str) -> Iterator[tuple[str, dict]]:
    """A database copied from the migrated template, planted; dropped afterwards."""
    name = f"onemap_events_{label}_{os.getpid()}"
    with database(admin_url, name, template=template) as url:
        yield url, plant(url)


def run(url: str, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work(conn)`` on a fresh autocommit async connection, as the API would."""

    async def go() -> T:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await work(conn)

    return asyncio.run(go())


def plant_event(
    url: str,
    *,
    status: str = "reported",
    category: str = "0101",
    point: tuple[float, float] = IN_WEST_SOUTH,
    grid: str | None = WEST_SOUTH,
    assignee: str | None = None,
    reported_at: datetime = T0,
    **columns: Any,
) -> int:
    """Insert an event in any stage directly (as the demo and bulk loads do), with the
    columns that stage implies; returns its id."""
    values: dict[str, Any] = {
        "county_code": COUNTY,
        "category_code": category,
        "source": "qr",
        "status": status,
        "reported_at": reported_at,
        "grid_code": grid,
        "community_code": grid[:12] if grid else None,
        "subdistrict_code": grid[:9] if grid else None,
        "reporter_key_sha256": None,
    }
    if status in ("dispatched", "in_progress", "handled", "closed", "evaluated"):
        values.update(
            assignee_kind=assignee or "grid",
            dispatched_at=reported_at,
            deadline_hours=24,
            deadline_at=reported_at + timedelta(hours=24),
        )
    if status in ("handled", "closed", "evaluated"):
        values["handled_at"] = reported_at + timedelta(hours=2)
    if status in ("closed", "evaluated"):
        values["closed_at"] = reported_at + timedelta(hours=3)
    if status == "evaluated":
        values.update(rating=4, evaluated_at=reported_at + timedelta(hours=4))
    values.update(columns)
    with psycopg.connect(url) as conn:
        if values.get("assignee_kind") == "department" and "department_id" not in values:
            found = conn.execute(
                "SELECT department_id FROM departments WHERE department_code = 'chengguan'"
            ).fetchone()
            assert found is not None
            values["department_id"] = found[0]
        names = ", ".join(values)
        marks = ", ".join(f"%({name})s" for name in values)
        row = conn.execute(
            f"INSERT INTO events (tracking_number, geom, {names})"
            " VALUES ('SJ' || (10000000000"
            " + nextval(pg_get_serial_sequence('events', 'event_id'))),"
            f" ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), {marks}) RETURNING event_id",
            {**values, "lon": point[0], "lat": point[1]},
        ).fetchone()
        assert row is not None
        return int(row[0])


def snapshot(url: str, event_id: int) -> tuple[dict[str, Any], int]:
    """The event row and the length of its history, to show that nothing changed."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT to_jsonb(e) - 'geom', (SELECT count(*) FROM event_history h"
            " WHERE h.event_id = e.event_id) FROM events e WHERE event_id = %s",
            (event_id,),
        ).fetchone()
        assert row is not None
        return row[0], int(row[1])


def photo_bytes(
    kind: str = "JPEG", gps: tuple[float, float] | None = None, size: tuple[int, int] = (64, 48)
) -> bytes:
    """A small JPEG or PNG, with an EXIF GPS position (lon, lat) when given."""
    import io

    from PIL import ExifTags, Image
    from PIL.TiffImagePlugin import IFDRational

    def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = (value - degrees - minutes / 60) * 3600
        return (
            IFDRational(degrees, 1),
            IFDRational(minutes, 1),
            IFDRational(round(seconds * 1e4), 10_000),
        )

    exif = Image.Exif()
    if gps is not None:
        lon, lat = gps
        exif[ExifTags.Base.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(lon),
        }
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, kind, exif=exif)
    return buffer.getvalue()
