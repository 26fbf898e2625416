"""Bulk import of a 12345 hotline export (CSV or GeoJSON) as events of source
``hotline_12345``, all or nothing.

Columns (Chinese or English header; GeoJSON: properties, and a Point geometry instead
of lon/lat): 工单编号 ``ticket_id``, 受理时间 ``reported_at``, 类别 ``category``, 内容
``description``, 经度 ``lon``, 纬度 ``lat``, 地址 ``address``, 状态 ``status``, 办结时间
``closed_at``. Times without an offset are China time.

Steps (none loops over rows in Python):

1. read the file and check every row's form with pandas (vectorised): ticket id
   (``[A-Za-z0-9_-]``, 1–40, unique in the file), times, WGS84 lon/lat, category (our
   code or name, or a hotline category of :data:`HOTLINE_CATEGORIES`), status
   (:data:`STATUSES`: closed needs 办结时间 ≥ 受理时间);
2. COPY the rows into a temporary staging table;
3. place them all in one set-based step (gis/events/sql/hotline_place.sql: the grid outlines
   drive a join to the points through a GiST index on them) — a point outside every
   district is a bad row;
4. insert the events not imported before and one ``report`` history row each in one
   statement (gis/events/sql/hotline_insert.sql).

Any bad row refuses the whole file with every bad row named (:class:`HotlineRejected`)
and nothing written. A ticket already imported (its id is in the ``report`` step's
details, ``hotline_ticket``) is skipped, so a re-import creates nothing; imports take an
advisory lock so two cannot race. Imported events keep the hotline's stage: closed
tickets are ``closed`` (``handled_at`` = ``closed_at``), open ones ``filed``, waiting for
staff to dispatch them in the loop. The history's NOTIFY is silenced for the load.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg

from gis.errors import OnemapError
from gis.progress import SILENT, Progress
from gis.sql import query

COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket_id": ("工单编号", "ticket_id", "ticket"),
    "reported_at": ("受理时间", "reported_at"),
    "category": ("类别", "category"),
    "description": ("内容", "description"),
    "lon": ("经度", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "address": ("地址", "address"),
    "status": ("状态", "status"),
    "closed_at": ("办结时间", "closed_at"),
}
# The import's steps, told to its progress in this order.
STEPS = ("read", "copy", "place", "insert")
REQUIRED = ("ticket_id", "reported_at", "category", "lon", "lat")
# Hotline categories (12345 platforms' usual names, and Boston 311's types for trials)
# → our category codes. Our own codes and names (event_categories) are accepted as well.
HOTLINE_CATEGORIES: dict[str, str] = {
    "环境卫生": "0101",
    "垃圾清运": "0102",
    "建筑垃圾": "0102",
    "道路保洁": "0103",
    "河道污染": "0104",
    "小广告": "0201",
    "户外广告": "0202",
    "施工扰民": "0301",
    "违法建设": "0302",
    "违章建筑": "0302",
    "占道经营": "0401",
    "违章停车": "0402",
    "乱停车": "0402",
    "店外经营": "0403",
    "路面塌陷": "0501",
    "道路破损": "0501",
    "水管爆裂": "0502",
    "火灾": "0503",
    "噪音扰民": "0601",
    "噪声扰民": "0601",
    "油烟扰民": "0602",
    "路灯故障": "06",
    "邻里纠纷": "0701",
    "家庭纠纷": "0702",
    "劳资纠纷": "0703",
    "拖欠工资": "0703",
    "消防通道": "0801",
    "电动车充电": "0802",
    "高空坠物": "0803",
    "物业管理": "09",
    "电梯故障": "0901",
    "Abandoned Vehicles": "0402",
    "Graffiti Removal": "0201",
    "Illegal Dumping": "0102",
    "Improper Storage of Trash (Barrels)": "0101",
    "Overflowing or Un-kept Dumpster": "0101",
    "Pothole Repair (Internal)": "0501",
    "Request for Pothole Repair": "0501",
    "Street Light Outages": "06",
    "Trash on Vacant Lot": "0101",
}
# Hotline status → our stage.
STATUSES: dict[str, str] = {
    "已办结": "closed",
    "办结": "closed",
    "已结案": "closed",
    "closed": "closed",
    "受理": "filed",
    "已受理": "filed",
    "处理中": "filed",
    "待处理": "filed",
    "open": "filed",
    "": "filed",
}
_TICKET = r"^[A-Za-z0-9_-]{1,40}$"
_MAX_LISTED = 20


@dataclass
class HotlineRejected(OnemapError):
    """The file has bad rows (row numbers count data rows from 1); nothing was written."""

    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        listed = "; ".join(f"row {r} {c}: {p}" for r, c, p in self.problems[:_MAX_LISTED])
        more = len(self.problems) - _MAX_LISTED
        return f"{len(self.problems)} bad rows, nothing imported: {listed}" + (
            f"; and {more} more" if more > 0 else ""
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: rows read, events created, tickets skipped as already
    imported, placed in a grid, in a gap (community or subdistrict only); seconds per
    step (read, copy, place, insert)."""

    rows: int
    created: int
    skipped: int
    in_grid: int
    in_gap: int
    seconds: dict[str, float]


def read_export(path: Path) -> pd.DataFrame:
    """The export as text columns named as :data:`COLUMNS` (missing optional ones empty).

    Raises HotlineRejected (row 0) for a file without a required column."""
    if path.suffix.lower() in (".geojson", ".json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        features = document.get("features", []) if isinstance(document, dict) else document
        frame = pd.json_normalize([f.get("properties") or {} for f in features])
        coordinates = [
            ((f.get("geometry") or {}).get("coordinates") or [None, None]) for f in features
        ]
        if "lon" not in frame and "经度" not in frame:
            frame["lon"] = [c[0] if len(c) > 1 else None for c in coordinates]
            frame["lat"] = [c[1] if len(c) > 1 else None for c in coordinates]
        frame = frame.astype("string")
    else:
        frame = pd.read_csv(path, dtype="string", keep_default_na=False, encoding="utf-8-sig")
    renamed: dict[str, str] = {}
    for name, aliases in COLUMNS.items():
        found = next((c for c in frame.columns if c.strip() in aliases), None)
        if found is not None:
            renamed[found] = name
    frame = frame.rename(columns=renamed)
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise HotlineRejected(
            [(0, name, f"missing column ({' / '.join(COLUMNS[name])})") for name in missing]
        )
    for name in COLUMNS:
        if name not in frame.columns:
            frame[name] = ""
    return frame[list(COLUMNS)].fillna("").apply(lambda column: column.str.strip())


def _instants(column: pd.Series) -> pd.Series:
    """Date-times in UTC: those with an offset as given, the others in China time."""
    with_offset = column.str.contains(r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$", regex=True)
    aware = pd.to_datetime(column.where(with_offset), errors="coerce", format="mixed", utc=True)
    naive = pd.to_datetime(column.where(~with_offset), errors="coerce", format="mixed")
    local = naive.dt.tz_localize("Asia/Shanghai", ambiguous="NaT", nonexistent="NaT")
    return aware.where(with_offset, local.dt.tz_convert("UTC"))


def check_rows(frame: pd.DataFrame, categories: dict[str, str]) -> tuple[pd.DataFrame, list]:
    """The rows parsed for staging, and the problems (row, column, problem), vectorised.

    ``categories`` maps every accepted spelling (our codes and names, hotline names) to a
    category code."""
    problems: list[tuple[int, str, str]] = []
    row_no = pd.Series(range(1, len(frame) + 1), index=frame.index)

    def flag(mask: pd.Series, column: str, problem: str | pd.Series) -> None:
        texts = problem if isinstance(problem, pd.Series) else pd.Series(problem, index=frame.index)
        problems.extend(zip(row_no[mask], [column] * int(mask.sum()), texts[mask], strict=True))

    ticket = frame["ticket_id"]
    flag(~ticket.str.match(_TICKET), "ticket_id", "must be 1–40 letters, digits, - or _")
    flag(ticket.duplicated(keep="first") & (ticket != ""), "ticket_id", "repeats an earlier row")
    reported = _instants(frame["reported_at"])
    flag(reported.isna(), "reported_at", "not a date-time: " + frame["reported_at"])
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    flag(lon.isna() | ~lon.between(-180, 180), "lon", "not a longitude: " + frame["lon"])
    flag(lat.isna() | ~lat.between(-90, 90), "lat", "not a latitude: " + frame["lat"])
    category = frame["category"].map(categories)
    flag(category.isna(), "category", "unknown hotline category: " + frame["category"])
    status = frame["status"].str.lower().map({k.lower(): v for k, v in STATUSES.items()})
    flag(status.isna(), "status", "unknown status: " + frame["status"])
    closed = _instants(frame["closed_at"])
    closed_missing = (status == "closed") & closed.isna()
    flag(closed_missing, "closed_at", "a closed ticket needs 办结时间 closed_at")
    flag(closed.notna() & reported.notna() & (closed < reported), "closed_at", "before reported_at")
    rows = pd.DataFrame(
        {
            "row_no": row_no,
            "ticket_id": ticket,
            "reported_at": reported,
            "category_code": category,
            "description": frame["description"].str.slice(0, 2000),
            "lon": lon,
            "lat": lat,
            "address": frame["address"].str.slice(0, 200).replace("", None),
            "status": status,
            "closed_at": closed.where(status == "closed"),
        }
    )
    return rows, sorted(problems)


def accepted_categories(conn: psycopg.Connection) -> dict[str, str]:
    """Every accepted category spelling → code: our codes and names, the hotline's."""
    rows = conn.execute("SELECT category_code, name FROM event_categories").fetchall()
    known = {code for code, _name in rows}
    accepted = {code: code for code in known} | {name: code for code, name in rows}
    return accepted | {k: v for k, v in HOTLINE_CATEGORIES.items() if v in known}


def import_hotline(
    conn: psycopg.Connection,
    path: Path,
    *,
    label: str | None = None,
    progress: Progress = SILENT,
) -> ImportSummary:
    """Import the export at ``path`` in one transaction (see the module docstring).

    Parameters
    ----------
    conn : a psycopg connection; the import is one transaction (a savepoint when the
        caller has one open: the caller commits), rolled back on a refusal.
    label : recorded in each history row's details (default: the file's name).
    progress : told as each of :data:`STEPS` starts.

    Raises
    ------
    HotlineRejected: bad rows (each named: row number, column, problem); nothing written.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    progress.step("read")
    frame = read_export(path)
    rows, problems = check_rows(frame, accepted_categories(conn))
    if problems:
        raise HotlineRejected(problems)
    seconds["read"] = time.perf_counter() - started
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('onemap hotline import'))")
        conn.execute("SET LOCAL onemap.notify = 'off'")
        progress.step("copy")
        started = time.perf_counter()
        stage(conn, rows)
        seconds["copy"] = time.perf_counter() - started
        progress.step("place")
        started = time.perf_counter()
        conn.execute(query("events/hotline_place"))
        seconds["place"] = time.perf_counter() - started
        outside = conn.execute(
            "SELECT s.row_no, s.lon, s.lat FROM hotline_staging s JOIN hotline_placed p"
            " USING (row_no) WHERE p.county_code IS NULL ORDER BY s.row_no"
        ).fetchall()
        if outside:
            raise HotlineRejected(
                [(r, "lon/lat", f"({x}, {y}) lies outside every district") for r, x, y in outside]
            )
        progress.step("insert")
        started = time.perf_counter()
        created = conn.execute(
            query("events/hotline_insert"),
            {"actor": "12345 hotline import", "label": label or path.name},
        ).rowcount
        seconds["insert"] = time.perf_counter() - started
        placed = conn.execute(
            "SELECT count(*) FILTER (WHERE grid_code IS NOT NULL),"
            " count(*) FILTER (WHERE grid_code IS NULL) FROM hotline_placed"
        ).fetchone()
        conn.execute("DROP TABLE hotline_staging, hotline_placed")
    assert placed is not None
    return ImportSummary(len(rows), created, len(rows) - created, placed[0], placed[1], seconds)


def stage(conn: psycopg.Connection, rows: pd.DataFrame) -> None:
    """COPY the checked rows into the staging table ``hotline_staging`` (dropped before
    the import commits), their points as EWKT; pandas writes the CSV in one go."""
    # An unlogged table, not a temporary one: a million points and their index do not
    # fit the session's temp_buffers (8 MB), and placing them from local buffers took
    # twice as long as from shared ones. It is created and dropped inside the import's
    # transaction (imports are serialised by an advisory lock), so no other session
    # ever sees it, and a failed import leaves nothing behind.
    conn.execute(
        "CREATE UNLOGGED TABLE hotline_staging (row_no integer PRIMARY KEY, ticket_id text,"
        " reported_at timestamptz, category_code text, description text, lon float8,"
        " lat float8, address text, status text, closed_at timestamptz,"
        " geom geometry(Point, 4326))"
    )
    table = rows.assign(
        geom="SRID=4326;POINT(" + rows["lon"].astype(str) + " " + rows["lat"].astype(str) + ")"
    )
    text = table.to_csv(index=False, header=False, date_format="%Y-%m-%d %H:%M:%S%z")
    with conn.cursor().copy(
        f"COPY hotline_staging ({', '.join(table.columns)}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        copy.write(text.encode())
    conn.execute("ANALYZE hotline_staging")
