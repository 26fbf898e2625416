"""Indicators per area for the one map's choropleths: every grid, community or subdistrict
with one indicator's value, its class and the class breaks (docs/indicators.md).

Each indicator is a numerator and a denominator PostgreSQL computes per area in one
statement (the ``sql/area_*.sql`` beside this module, built on the queries of
gis.events, gis.access and gis.patrols so the figures are theirs); the value is
numerator × scale / denominator, ``None`` where the denominator is 0 (no households, no
events due, no grids). The ``total`` is the same ratio over every area of the level: the
district's figure beside each area's.

Classes come from mapclassify: ``quantiles`` (equal counts) or ``natural_breaks`` (Jenks:
the exact Fisher–Jenks optimisation up to :data:`EXACT_JENKS_MAX` areas, beyond it the
Jenks–Caspall iteration, which is deterministic and fast at city scale). Areas without a
value have no class.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import mapclassify
import numpy as np
from psycopg import AsyncConnection, sql

from gis.errors import InvalidParameter
from gis.events.indicators import GROUPS as EVENT_GROUPS
from gis.patrols import visits as patrol_visits
from gis.patrols.coverage import RADIUS_M
from gis.patrols.months import month_start, next_month
from gis.sql import query

# level → (table, code column, length of the code)
LEVELS: dict[str, tuple[str, str, int]] = {
    "grid": ("grids", "grid_code", 15),
    "community": ("communities", "community_code", 12),
    "subdistrict": ("subdistricts", "subdistrict_code", 9),
}
METHODS = ("quantiles", "natural_breaks")
DEFAULT_CLASSES = 5
MIN_CLASSES, MAX_CLASSES = 2, 9
# Fisher–Jenks is exact but quadratic in pure Python: about half a second for the 418
# grids of a district, minutes for a city's 6,764.
EXACT_JENKS_MAX = 1_000
# The walk of the 15-minute resident service circle (15分钟居民服务圈).
SERVICE_MINUTES = 15
# Patrol indicators need a period; without one, the last three whole calendar months.
PATROL_DEFAULT_MONTHS = 3

SHARE = {"zh": "比例（0–1）", "en": "share (0–1)"}


@dataclass(frozen=True)
class Indicator:
    """One indicator: where its figures come from and how they make its value."""

    name: str
    title_zh: str
    title_en: str
    definition_zh: str
    definition_en: str
    unit: dict[str, str]
    figures: str  # the area_*.sql query
    numerator: str
    denominator: str
    scale: int = 1
    decimals: int = 4
    # its figures say where patrols walked and when: for the analysts' roles only
    patrols: bool = False

    def describe(self) -> dict[str, Any]:
        """The indicator as the API shows it beside its values."""
        return {
            "name": self.name,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "definition": {"zh": self.definition_zh, "en": self.definition_en},
            "unit": self.unit,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


_INDICATORS = (
    Indicator(
        "events_per_1000_households",
        "每千户事件数",
        "events per 1,000 households",
        "期内上报且未退出闭环（不予受理、重复、非职责范围除外）的事件数 ÷ 区域户数 × 1000；"
        "户数为其网格所含楼栋的户数之和。",
        "Events reported in the period that stayed in the loop (not rejected, duplicate or "
        "not responsible) per 1,000 of the area's households (the households of the "
        "buildings its grids hold).",
        {"zh": "件/千户", "en": "events per 1,000 households"},
        "area_events",
        "due",
        "households",
        scale=1000,
        decimals=2,
    ),
    Indicator(
        "closure_rate",
        "结案率",
        "closure rate",
        "期内上报事件中现已结案（已结案或已评价）的件数 ÷ 应结案数（上报数 − 退出闭环数）。",
        "Events reported in the period now closed or evaluated, over those due "
        "(reported − rejected, duplicate, not responsible).",
        SHARE,
        "area_events",
        "closed",
        "due",
    ),
    Indicator(
        "on_time_closure_rate",
        "按期结案率",
        "on-time closure rate",
        "期内上报事件中在处置时限内结案的件数 ÷ 应结案数；时限为派遣时所定，未走闭环的"
        "记录按其类别的派遣规则补定。",
        "Events reported in the period closed at or before their deadline, over those due; "
        "the deadline is the one dispatch set (records loaded without the loop: their "
        "category's dispatch rule).",
        SHARE,
        "area_events",
        "closed_on_time",
        "due",
    ),
    Indicator(
        "overdue_share",
        "超期率",
        "overdue share",
        "期内上报事件中超期的件数 ÷ 应结案数：被闭环标为超期、处置晚于时限，或截至统计"
        "时点（期末与当前较早者）未处置且已过时限。",
        "Events reported in the period that are overdue — flagged by the loop, handled "
        "after the deadline, or unhandled past it at the earlier of the period's end and "
        "now — over those due.",
        SHARE,
        "area_events",
        "overdue",
        "due",
    ),
    Indicator(
        "mean_rating",
        "平均评价",
        "mean rating",
        "期内上报且已获群众评价（1–5 分）事件的平均分。",
        "The mean of the ratings (1–5) residents gave the events reported in the period.",
        {"zh": "分（1–5）", "en": "points (1–5)"},
        "area_events",
        "rating_sum",
        "ratings",
        decimals=2,
    ),
    Indicator(
        "households_per_member",
        "网格员人均服务户数",
        "households per grid member",
        "区域户数 ÷ 其网格登记的网格员人数（不含网格长、网格指导员）。",
        "The area's households over the grid members (网格员) on record for its grids "
        "(leaders and instructors not counted).",
        {"zh": "户/人", "en": "households per member"},
        "area_staffing",
        "households",
        "members",
        decimals=1,
    ),
    Indicator(
        "service_coverage_15",
        "15分钟服务圈覆盖率",
        "15-minute coverage",
        "区域户数中位于任一党群服务中心15分钟步行服务区内的户数之比；楼栋以其面内点所在网格计入。",
        "The share of the area's households whose building lies inside at least one "
        "service centre's 15-minute walking area; a building counts in the grid holding "
        "its point on surface.",
        SHARE,
        "area_coverage",
        "covered_households",
        "households",
    ),
    Indicator(
        "patrol_coverage",
        "巡查覆盖率",
        "patrol coverage",
        "期内有巡查轨迹经过（R 米内，默认 30 米）的楼栋数 ÷ 区域网格内的楼栋数。",
        "The share of the buildings in the area's grids that a patrol track passed within "
        "R metres of (30 m unless the county's standard says otherwise) in the period.",
        SHARE,
        "area_patrol_ground",
        "buildings_patrolled",
        "buildings",
        patrols=True,
    ),
    Indicator(
        "patrol_standard",
        "巡查达标率",
        "visits against the standard",
        "区域网格中，期内每个自然月均达到其类型巡查标准（到访次数与在格时长，默认每月"
        "2 次、4 小时）的网格数 ÷ 网格数。",
        "The share of the area's grids that met their kind's monthly visit standard (visits "
        "and hours inside; by default 2 visits and 4 hours a month) in every calendar "
        "month the period touches.",
        SHARE,
        "area_patrol_visits",
        "grids_meeting",
        "grids",
        patrols=True,
    ),
)
INDICATORS: dict[str, Indicator] = {indicator.name: indicator for indicator in _INDICATORS}


def indicator_named(name: str | None) -> Indicator:
    """The indicator called ``name``; InvalidParameter (``indicator``) otherwise."""
    if name is None:
        raise InvalidParameter("indicator", f"required: one of {', '.join(INDICATORS)}")
    found = INDICATORS.get(name)
    if found is None:
        raise InvalidParameter("indicator", f"must be one of {', '.join(INDICATORS)}, not {name!r}")
    return found


def patrol_period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """A patrol indicator's period: as given, or ending at the start of the current
    calendar month (China time) and beginning :data:`PATROL_DEFAULT_MONTHS` months earlier
    (or ending a month after a given start). Within the years tracks may have and at most
    the patrol report's span of months, like that report (gis/patrols/visits.py).

    Raises
    ------
    InvalidParameter naming ``from`` or ``to``.
    """
    for name, value in (("from", start), ("to", end)):
        if value is not None and not patrol_visits.EARLIEST <= value <= patrol_visits.LATEST:
            raise InvalidParameter(
                name,
                f"patrol figures lie in {patrol_visits.EARLIEST.year}–"
                f"{patrol_visits.LATEST.year - 1}",
            )
    if end is None:
        end = next_month(month_start(start)) if start is not None else month_start(now)
    if start is None:
        start = end
        for _ in range(PATROL_DEFAULT_MONTHS):
            start = month_start(start - timedelta(days=1))
    if start >= end:
        raise InvalidParameter("to", f"{end.isoformat()} is not after from {start.isoformat()}")
    first, last = month_start(start), month_start(end - timedelta(microseconds=1))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > patrol_visits.MAX_MONTHS:
        raise InvalidParameter(
            "to", f"patrol figures span at most {patrol_visits.MAX_MONTHS} months, not {months}"
        )
    return start, end


async def area_values(
    conn: AsyncConnection,
    level: str,
    indicator: Indicator,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The indicator's value per area of ``level`` and over all of them.

    Returns
    -------
    ``(areas, total, period)``: areas ordered by code, each ``{code, name, value,
    numerator, denominator}``; the total ``{value, numerator, denominator}``; and the
    period the figures cover, ``{from, to, as_of}`` (ISO 8601 or None).

    Raises
    ------
    InvalidParameter naming ``level``, ``to``, or ``from``.
    """
    if level not in LEVELS:
        raise InvalidParameter("level", f"must be one of {', '.join(LEVELS)}, not {level!r}")
    if start is not None and end is not None and start >= end:
        raise InvalidParameter("to", f"{end.isoformat()} is not after from {start.isoformat()}")
    now = now or datetime.now(UTC)
    table, code_column, length = LEVELS[level]
    areas = sql.SQL(query("indicators/areas")).format(
        table=sql.Identifier(table), code_column=sql.Identifier(code_column)
    )
    pieces: dict[str, sql.Composable] = {"areas": areas, "length": sql.Literal(length)}
    params: dict[str, Any]
    if indicator.figures == "area_events":
        as_of = min(end, now) if end is not None else now
        event_key = sql.SQL(EVENT_GROUPS[level])
        pieces["event_key"] = event_key
        pieces["loop"] = sql.SQL(query("events/indicators")).format(group_key=event_key)
        params = {"from": start, "to": end, "as_of": as_of}
    elif indicator.figures == "area_coverage":
        as_of, start, end = now, None, None
        params = {"minutes": SERVICE_MINUTES}
    elif indicator.figures == "area_staffing":
        as_of, start, end = now, None, None
        params = {}
    else:
        start, end = patrol_period(start, end, now)
        as_of = min(end, now)
        params = await _patrol_parameters(conn, indicator, start, end)
        if indicator.figures == "area_patrol_ground":
            pieces["ground"] = _inner("patrols/coverage_space")
        else:
            pieces["standards"] = _inner("patrols/coverage_grids")
            pieces["visits"] = _inner("patrols/coverage_time")
    figures = sql.SQL(query(f"indicators/{indicator.figures}")).format(**pieces)
    statement = sql.SQL(query("indicators/area_values")).format(
        figures=figures,
        numerator=sql.Identifier(indicator.numerator),
        denominator=sql.Identifier(indicator.denominator),
    )
    cursor = await conn.execute(
        statement, {**params, "scale": indicator.scale, "decimals": indicator.decimals}
    )
    rows: list[dict[str, Any]] = []
    total: dict[str, Any] = {"value": None, "numerator": 0, "denominator": 0}
    for code, name, numerator, denominator, value, is_total in await cursor.fetchall():
        figures_row = {
            "value": float(value) if value is not None else None,
            "numerator": _number(numerator),
            "denominator": _number(denominator),
        }
        if is_total:
            total = figures_row
        else:
            rows.append({"code": code, "name": name, **figures_row})
    period = {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "as_of": as_of.isoformat(),
    }
    return rows, total, period


def _inner(name: str) -> sql.Composable:
    """Another package's query, as a subquery: without its closing semicolon."""
    return sql.SQL(query(name).rstrip().removesuffix(";"))


def _number(value: Any) -> int | float:
    """A sum as JSON wants it: whole numbers as int."""
    number = float(value or 0)
    return int(number) if number.is_integer() else number


async def _patrol_parameters(
    conn: AsyncConnection, indicator: Indicator, start: datetime, end: datetime
) -> dict[str, Any]:
    """The parameters patrols/coverage_*.sql read, for every grid (scope '')."""
    params: dict[str, Any] = {
        "scope": "",
        "start": start,
        "end": end,
        "by_team": False,
        "min_visits": patrol_visits.MIN_VISITS,
        "min_hours": patrol_visits.MIN_HOURS,
        "visit_minutes": patrol_visits.VISIT_MINUTES,
        "grace_seconds": patrol_visits.GRACE_SECONDS,
        "stale_days": patrol_visits.STALE_DAYS,
    }
    if indicator.figures == "area_patrol_ground":
        first, last = month_start(start), month_start(end)
        # the county's standard radius for a period that is not whole months, as the
        # patrol coverage report counts it
        cursor = await conn.execute(
            "SELECT radius_m FROM patrol_standards WHERE grid_kind = 'base'"
            " ORDER BY county_code LIMIT 1"
        )
        row = await cursor.fetchone()
        params |= {
            "live": not (start == first and end == last),
            "first_month": first.date(),
            "end_month": last.date(),
            "radius_m": float(row[0]) if row else RADIUS_M,
        }
    return params


def classify(
    values: list[float | None],
    *,
    classes: int = DEFAULT_CLASSES,
    method: str = "quantiles",
    decimals: int = 4,
) -> tuple[list[int | None], list[dict[str, Any]]]:
    """Classes of ``values`` by mapclassify.

    Returns
    -------
    ``(class of each value, classes)``: a value's class is the 0-based index of its class
    (None for a None value); each class is ``{class, lower, upper, count}``, the first's
    lower bound the least value, each upper bound inclusive. Values come at ``decimals``
    places; a quantile may fall between two of them, so bounds are cut down to those
    places: every value of a class is at most its upper bound and above the one before.
    Fewer classes than asked when there are fewer distinct values; none without values.

    Raises
    ------
    InvalidParameter naming ``classes`` or ``method``.
    """
    if method not in METHODS:
        raise InvalidParameter("method", f"must be one of {', '.join(METHODS)}, not {method!r}")
    if not MIN_CLASSES <= classes <= MAX_CLASSES:
        raise InvalidParameter("classes", f"must be {MIN_CLASSES}–{MAX_CLASSES}, got {classes}")
    present = np.array([value for value in values if value is not None], dtype=float)
    if present.size == 0:
        return [None] * len(values), []
    k = min(classes, len(np.unique(present)))
    with warnings.catch_warnings():
        # "not enough unique values": k is already cut to what the values allow
        warnings.simplefilter("ignore", UserWarning)
        if k == 1:
            classifier: Any = mapclassify.UserDefined(present, bins=[float(present.max())])
        elif method == "quantiles":
            classifier = mapclassify.Quantiles(present, k=k)
        elif present.size <= EXACT_JENKS_MAX:
            classifier = mapclassify.FisherJenks(present, k=k)
        else:
            classifier = mapclassify.JenksCaspall(present, k=k)
    bins = [_cut(float(upper), decimals) for upper in classifier.bins]
    assigned = iter(int(index) for index in classifier.yb)
    counts = [int(count) for count in classifier.counts]
    lowers = [_cut(float(present.min()), decimals), *bins[:-1]]
    described = [
        {"class": index, "lower": lower, "upper": upper, "count": count}
        for index, (lower, upper, count) in enumerate(zip(lowers, bins, counts, strict=True))
    ]
    return [None if value is None else next(assigned) for value in values], described


def _cut(bound: float, decimals: int) -> float:
    """``bound`` cut down to ``decimals`` places (float noise such as 0.30000000000000004
    kept from cutting a whole step)."""
    scale = 10**decimals
    return math.floor(round(bound * scale, 6)) / scale


async def area_indicator(
    conn: AsyncConnection,
    level: str,
    indicator: str | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    classes: int = DEFAULT_CLASSES,
    method: str = "quantiles",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every area of ``level`` (grid, community, subdistrict) with the value and class of
    ``indicator`` (one of :data:`INDICATORS`) over ``[start, end)``.

    Event indicators take the events reported in the period (either end open); patrol
    indicators the tracks of the period (default: the last three whole calendar months);
    coverage and staffing are as they stand now and ignore the period.

    Returns
    -------
    ``level``, ``indicator`` (name, title, definition in zh and en, unit), ``from``,
    ``to``, ``as_of``, ``method``, ``classes`` (see :func:`classify`), ``areas`` (code,
    name, value, class, numerator, denominator) and ``total`` (the level's areas together).

    Raises
    ------
    InvalidParameter naming ``level``, ``indicator``, ``classes``, ``method`` or ``to``.
    """
    chosen = indicator_named(indicator)
    # parameters checked before the query runs
    classify([], classes=classes, method=method)
    rows, total, period = await area_values(conn, level, chosen, start=start, end=end, now=now)
    assigned, described = classify(
        [row["value"] for row in rows], classes=classes, method=method, decimals=chosen.decimals
    )
    return {
        "level": level,
        "indicator": chosen.describe(),
        **period,
        "method": method,
        "classes": described,
        "areas": [{**row, "class": index} for row, index in zip(rows, assigned, strict=True)],
        "total": total,
    }
