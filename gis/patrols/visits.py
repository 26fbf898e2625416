"""Visits to grids and the patrol standard: how often and how long patrols were inside
each grid over a period, against the standard of the grid's kind (docs/patrols.md,
"Visits and the standard").

Terms, as the SQL beside this module computes them:

- a **stretch** (table ``patrol_stretches``, written when a track is stored): a run of a
  track's consecutive fixes in one grid, from the instant it entered to the instant it
  left, both interpolated on the segment that crosses the boundary
  (sql/functions/patrol_stretches_of.sql);
- **presence**: stretches of one grid that overlap (two teams at once) joined; **hours**
  are the presence time, so a team of five for one hour, or two teams together, is one
  hour;
- a **visit**: presence separated by at most ``grace_seconds`` (GPS noise on a boundary
  street) joined; it counts when it lasts at least ``visit_minutes`` from first entry to
  last exit;
- the **standard** (table ``patrol_standards``, per county and grid kind: ``base`` or what
  a dedicated grid serves): at least ``min_visits`` visits and ``min_hours`` hours in each
  calendar month, China time. A visit and its hours count in the month the visit started.
  Over a period of several months a grid meets the standard when it meets it in every
  month the period touches; a month the period only partly covers (the current one) is
  judged on the part covered, so a month in progress may still be below.
- a grid is **stale** when no patrol has been inside it for ``stale_days`` days.

Synchronous on a ``psycopg.Connection``, like gis.access.coverage: the CLI and notebooks
call it as it is, the API on a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from gis.access.coverage import parse_scope
from gis.errors import InvalidParameter
from gis.patrols.coverage import RADIUS_M, Ground, check_county, ground_covered
from gis.patrols.months import CHINA, month_start, next_month
from gis.sql import query

# The defaults of patrol_standards (migration 0016), for a county that has set none.
MIN_VISITS = 2
MIN_HOURS = 4.0
VISIT_MINUTES = 10
GRACE_SECONDS = 60
STALE_DAYS = 14
GROUPINGS = ("grid", "community", "subdistrict", "team")
# A report spans at most this many months: each grid carries one entry per month.
MAX_MONTHS = 24
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _GridRow:
    """A grid of the scope with the standard of its kind (sql/coverage_grids.sql)."""

    grid_code: str
    name: str
    community_code: str
    community_name: str | None
    subdistrict_code: str
    subdistrict_name: str | None
    grid_kind: str
    min_visits: int
    min_hours: float
    visit_minutes: int
    grace_seconds: int
    stale_days: int
    defaulted: bool  # the county sets no standard for this kind: the defaults apply


@dataclass(frozen=True)
class Month:
    """One grid's (or one team's in a grid) visits and hours in a calendar month."""

    month: str  # YYYY-MM
    visits: int
    hours: float
    meets_standard: bool


@dataclass(frozen=True)
class GridVisits:
    """A grid over the period (or, grouped by team, one team in a grid it serves)."""

    grid_code: str
    name: str
    community_code: str
    grid_kind: str
    min_visits: int
    min_hours: float
    visits: int
    hours: float
    last_patrolled_at: datetime | None
    meets_standard: bool
    months: list[Month]
    team_code: str | None = None
    team_name: str | None = None
    team_kind: str | None = None
    # the grid's buildings, street length and cells, and how much of each a patrol passed
    # (by all teams: a team row has none)
    ground: Ground | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: instants as RFC 3339, hours to two decimals."""
        row = asdict(self)
        if self.team_code is None:
            for key in ("team_code", "team_name", "team_kind"):
                row.pop(key)
        row["ground"] = self.ground.as_dict() if self.ground else None
        row["hours"] = round(self.hours, 2)
        row["last_patrolled_at"] = _iso(self.last_patrolled_at)
        row["months"] = [{**asdict(m), "hours": round(m.hours, 2)} for m in self.months]
        return row


@dataclass(frozen=True)
class GroupVisits:
    """A community or subdistrict: how many of its grids meet the standard."""

    code: str
    name: str | None
    grids: int
    grids_meeting: int
    grids_unpatrolled: int  # no stretch at all in the period
    visits: int
    hours: float
    last_patrolled_at: datetime | None
    ground: Ground | None = None

    @property
    def meeting_pct(self) -> float | None:
        """Percent (0–100, one decimal) of the grids meeting the standard; None without
        grids."""
        return round(100.0 * self.grids_meeting / self.grids, 1) if self.grids else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the share of grids meeting the standard."""
        return {
            **asdict(self),
            "hours": round(self.hours, 2),
            "last_patrolled_at": _iso(self.last_patrolled_at),
            "meeting_pct": self.meeting_pct,
            "ground": self.ground.as_dict() if self.ground else None,
        }


@dataclass(frozen=True)
class Caveats:
    """What the report rests on."""

    stretches_in_lost_grids: int  # grids redrawn since the stretches were computed
    tracks_without_stretches: int  # tracks crossing grids with no stretch computed
    defaulted_standards: int  # grids whose county sets no standard for their kind
    month_in_progress: bool  # the period ends after now: its last month is not over
    tracks_not_counted: int = 0  # stored tracks the ground figures do not count yet
    grids_without_targets: int = 0  # grids whose buildings, streets, cells were never listed

    @property
    def notes(self) -> list[str]:
        """One sentence for each caveat that applies, saying what lifts it."""
        notes = []
        if self.stretches_in_lost_grids:
            notes.append(
                f"{self.stretches_in_lost_grids} stretches lie in grids that no longer exist:"
                " run onemap patrols refresh-visits"
            )
        if self.tracks_without_stretches:
            notes.append(
                f"{self.tracks_without_stretches} tracks crossing grids have no stretches:"
                " run onemap patrols refresh-visits"
            )
        if self.defaulted_standards:
            notes.append(
                f"{self.defaulted_standards} grids are judged on the default standard"
                f" ({MIN_VISITS} visits, {MIN_HOURS:g} h a month): their county sets none for"
                " their kind"
            )
        if self.tracks_not_counted:
            notes.append(
                f"{self.tracks_not_counted} tracks are not yet in the buildings, streets and"
                " cells patrolled: the next refresh (within a minute) counts them"
            )
        if self.grids_without_targets:
            notes.append(
                f"{self.grids_without_targets} grids have no buildings, streets or cells listed"
                " for patrols: run onemap patrols targets"
            )
        if self.month_in_progress:
            notes.append("the period's last month is not over: its grids may still catch up")
        return notes


@dataclass(frozen=True)
class PatrolCoverage:
    """Visits and hours of a scope over a period, per grid, community, subdistrict or
    (team, grid served), with a total over the scope's grids."""

    start: datetime
    end: datetime
    group_by: str
    scope: str
    months: list[str]
    grids: list[GridVisits]  # every grid of the scope (team rows for group_by=team)
    groups: list[GroupVisits]  # community or subdistrict rows; empty otherwise
    total: GroupVisits
    caveats: Caveats

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: the rule, the rows of the grouping, the total, caveats."""
        rows: list[Any] = self.groups if self.group_by in ("community", "subdistrict") else []
        return {
            "from": _iso(self.start),
            "to": _iso(self.end),
            "group_by": self.group_by,
            "scope": self.scope or None,
            "months": self.months,
            "rule": RULE,
            "total": self.total.as_dict(),
            "groups": [row.as_dict() for row in (rows or self.grids)],
            "caveats": {**asdict(self.caveats), "notes": self.caveats.notes},
        }


RULE = (
    "A visit is time inside a grid, pauses of up to the standard's grace joined, lasting at"
    " least the standard's minutes; hours are the time someone was inside. A grid meets the"
    " standard when it has the visits and hours of its kind in every calendar month (China"
    " time) the period touches; a visit counts in the month it started."
)


def coverage_report(
    conn: psycopg.Connection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    group_by: str = "grid",
    scope: str | None = None,
    now: datetime | None = None,
) -> PatrolCoverage:
    """Visits, hours and the standard per grid of ``scope`` for stretches started in
    [``start``, ``end``).

    Parameters
    ----------
    start, end : aware datetimes; default the current calendar month in China time.
    group_by : "grid", "community", "subdistrict" (the grids summed: how many meet the
        standard) or "team" (each team in each grid it serves, its own visits and hours:
        a backing unit's obligation).
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    now : the instant the report is made at (default the clock): decides whether the
        last month is still in progress.

    Raises
    ------
    InvalidParameter naming the parameter that is out of range or malformed.
    """
    now = now or datetime.now(UTC)
    start, end = _period(start, end, now)
    if group_by not in GROUPINGS:
        raise InvalidParameter(
            "group_by", f"must be one of {', '.join(GROUPINGS)}, not {group_by!r}"
        )
    months = _months(start, end)
    params = {**_defaults(), "start": start, "end": end, "scope": parse_scope(scope)}
    with conn.cursor(row_factory=class_row(_GridRow)) as cursor:
        grids = {
            row.grid_code.strip(): row
            for row in cursor.execute(query("patrols/coverage_grids"), params)
        }
    by_team = group_by == "team"
    activity: dict[tuple[int | None, str], dict[str, tuple[int, float, datetime]]] = {}
    for team_id, grid_code, month, visits, inside_s, last in conn.execute(
        query("patrols/coverage_time"), {**params, "by_team": by_team}
    ):
        key = (team_id, grid_code.strip())
        activity.setdefault(key, {})[month.strftime("%Y-%m")] = (visits, inside_s, last)
    caveat_row = conn.execute(query("patrols/coverage_time_caveats"), params).fetchone()
    assert caveat_row is not None
    grounds, ground_caveats = ground_covered(
        conn, start=start, end=end, scope=params["scope"], radius_m=_radius(conn, params["scope"])
    )
    caveats = Caveats(
        int(caveat_row[0]),
        int(caveat_row[1]),
        sum(1 for row in grids.values() if row.defaulted),
        end > now,
        ground_caveats.tracks_not_counted,
        ground_caveats.grids_without_targets,
    )
    if by_team:
        rows = [
            _grid(
                grids[grid.strip()],
                activity.get((team_id, grid.strip()), {}),
                months,
                team=(code, name, kind),
            )
            for team_id, code, name, kind, grid in conn.execute(
                query("patrols/coverage_teams"), params
            )
            if grid.strip() in grids
        ]
    else:
        rows = [
            _grid(row, activity.get((None, code), {}), months, ground=_ground_of(grounds, code))
            for code, row in grids.items()
        ]
    groups: list[GroupVisits] = []
    if group_by in ("community", "subdistrict"):
        by_code: dict[str, list[GridVisits]] = {}
        names: dict[str, str | None] = {}
        for grid in rows:
            row = grids[grid.grid_code]
            code = (getattr(row, f"{group_by}_code")).strip()
            by_code.setdefault(code, []).append(grid)
            names[code] = getattr(row, f"{group_by}_name")
        groups = [_group(code, names[code], members) for code, members in by_code.items()]
    total = _group(params["scope"] or "all", None, rows)
    return PatrolCoverage(
        start, end, group_by, params["scope"], months, rows, groups, total, caveats
    )


@dataclass(frozen=True)
class StaleGrid:
    """A grid nobody has patrolled for its number of days."""

    grid_code: str
    name: str
    community_code: str
    grid_kind: str
    days: int  # the threshold it was judged against
    last_patrolled_at: datetime | None  # None: never
    days_since: float | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {**asdict(self), "last_patrolled_at": _iso(self.last_patrolled_at)}


def stale_grids(
    conn: psycopg.Connection,
    *,
    days: int | None = None,
    scope: str | None = None,
    now: datetime | None = None,
) -> list[StaleGrid]:
    """Grids of ``scope`` with no patrol inside them for ``days`` days before ``now``
    (default: each kind's ``stale_days``, 14 unless the county sets another), never
    patrolled ones first, then the longest unpatrolled.

    Raises
    ------
    InvalidParameter for days outside 1–3660 or a malformed scope.
    """
    if days is not None and not 1 <= days <= 3660:
        raise InvalidParameter("days", f"must be 1–3660, not {days}")
    now = now or datetime.now(UTC)
    params = {
        "scope": parse_scope(scope),
        "days": days,
        "default_days": STALE_DAYS,
        "as_of": now,
    }
    return [
        StaleGrid(
            code.strip(),
            name,
            community.strip(),
            kind,
            int(threshold),
            last,
            None if last is None else round((now - last).total_seconds() / 86400, 1),
        )
        for code, name, community, kind, threshold, last in conn.execute(
            query("patrols/stale_grids"), params
        )
    ]


def refresh_visits(conn: psycopg.Connection, *, county: str | None = None) -> dict[str, int]:
    """Recompute every stretch of the tracks of ``county`` (default all), in one
    transaction: after grids are redrawn. Returns the stretches removed and made, and the
    tracks that have stretches now."""
    if county is not None:
        check_county(county)
    with conn.transaction():
        row = conn.execute(query("patrols/refresh_stretches"), {"county": county or ""}).fetchone()
    assert row is not None
    return {"removed": int(row[0]), "stretches": int(row[1]), "tracks": int(row[2])}


def _period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidParameter(name, "needs a UTC offset")
        # GPS tracks exist from 1980 on; the bound keeps month arithmetic in range
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidParameter(name, f"must lie in {EARLIEST.year}–{LATEST.year - 1}")
    start = start or month_start(end - timedelta(microseconds=1) if end else now)
    end = end or next_month(month_start(start))
    if end <= start:
        raise InvalidParameter("to", f"must come after from ({_iso(start)}), not {_iso(end)}")
    if len(_months(start, end)) > MAX_MONTHS:
        raise InvalidParameter("to", f"a report spans at most {MAX_MONTHS} months")
    return start, end


def _months(start: datetime, end: datetime) -> list[str]:
    """The calendar months (China time) the period [start, end) touches, as YYYY-MM."""
    months = []
    first = month_start(start)
    last = end - timedelta(microseconds=1)
    while first <= last:
        months.append(first.strftime("%Y-%m"))
        first = next_month(first)
    return months


def _defaults() -> dict[str, Any]:
    return {
        "min_visits": MIN_VISITS,
        "min_hours": MIN_HOURS,
        "visit_minutes": VISIT_MINUTES,
        "grace_seconds": GRACE_SECONDS,
        "stale_days": STALE_DAYS,
    }


def _radius(conn: psycopg.Connection, scope: str) -> float:
    """The patrolled radius of the scope's county standard for base grids (30 m unless
    it sets another): what a period that is not whole months is counted with."""
    row = conn.execute(
        "SELECT radius_m FROM patrol_standards WHERE county_code LIKE left(%s, 6) || '%%'"
        " AND grid_kind = 'base' ORDER BY county_code LIMIT 1",
        (scope,),
    ).fetchone()
    return float(row[0]) if row else RADIUS_M


def _ground_of(grounds: dict[str, tuple[Ground, datetime | None]], code: str) -> Ground:
    found = grounds.get(code)
    return found[0] if found else Ground()


def _grid(
    row: _GridRow,
    activity: dict[str, tuple[int, float, datetime]],
    months: list[str],
    team: tuple[str, str, str] | None = None,
    ground: Ground | None = None,
) -> GridVisits:
    per_month = []
    for month in months:
        visits, inside_s, _ = activity.get(month, (0, 0.0, None))
        hours = float(inside_s) / 3600
        meets = visits >= row.min_visits and hours >= row.min_hours
        per_month.append(Month(month, int(visits), hours, meets))
    lasts = [last for _, _, last in activity.values() if last is not None]
    return GridVisits(
        grid_code=row.grid_code.strip(),
        name=row.name,
        community_code=row.community_code.strip(),
        grid_kind=row.grid_kind,
        min_visits=int(row.min_visits),
        min_hours=float(row.min_hours),
        visits=sum(m.visits for m in per_month),
        hours=sum(m.hours for m in per_month),
        last_patrolled_at=max(lasts, default=None),
        meets_standard=all(m.meets_standard for m in per_month),
        months=per_month,
        team_code=team[0] if team else None,
        team_name=team[1] if team else None,
        team_kind=team[2] if team else None,
        ground=ground,
    )


def _group(code: str, name: str | None, grids: Iterable[GridVisits]) -> GroupVisits:
    members = list(grids)
    lasts = [g.last_patrolled_at for g in members if g.last_patrolled_at is not None]
    return GroupVisits(
        code=code,
        name=name,
        grids=len(members),
        grids_meeting=sum(g.meets_standard for g in members),
        grids_unpatrolled=sum(g.last_patrolled_at is None for g in members),
        visits=sum(g.visits for g in members),
        hours=sum(g.hours for g in members),
        last_patrolled_at=max(lasts, default=None),
        ground=sum((g.ground for g in members if g.ground), Ground())
        if any(g.ground for g in members)
        else None,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA).isoformat()
