"""Service-centre standards: each party-mass service centre (党群服务中心) against its
level's floor area and the four basic rooms of "4+X".

Nanning's standards (../shared/DOMAIN.md): a community centre at least 500 m²; a compound
centre at least 300 m² and at least 30 m² per 100 households of the compound it serves;
every centre the four basic rooms — office and consultation 办公议事, party-mass
activities 党群活动, culture and sport 文体娱乐, social services 社会服务. District and
subdistrict centres have no area figure in the standards: their rooms are checked and
their area is not (``required_m2`` is None and says so).

Synchronous, like all of gis.access (see gis.access.coverage): the API runs
:func:`check_standards` on a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import psycopg

from gis.access.coverage import parse_scope
from gis.errors import InvalidParameter
from gis.sql import query

COMMUNITY_CENTRE_MIN_M2 = 500.0
COMPOUND_CENTRE_MIN_M2 = 300.0
COMPOUND_CENTRE_M2_PER_100_HOUSEHOLDS = 30.0
# The "4" of "4+X", in the order reports list them; service_centers.rooms spells them so.
BASIC_ROOMS = ("office", "activity", "culture_sport", "social_service")
LEVELS = ("district", "subdistrict", "community", "compound")


@dataclass(frozen=True)
class CentreStandard:
    """One centre judged against its level's standard."""

    center_id: int
    name: str
    level: str
    county_code: str
    subdistrict_code: str | None
    community_code: str | None
    compound_id: int | None
    area_m2: float
    required_m2: float | None  # None: no area standard for the level
    households_served: int | None  # compound centres: households of their compound
    shortfall_m2: float
    missing_rooms: list[str]
    rooms: list[str]
    lon: float
    lat: float

    @property
    def compliant(self) -> bool:
        """True when the centre has its level's floor area (if any) and all four basic
        rooms."""
        return self.shortfall_m2 == 0 and not self.missing_rooms

    @property
    def reasons(self) -> list[str]:
        """Why the centre falls short, one sentence each: the area missing in m² and the
        basic rooms it lacks; empty when compliant."""
        reasons = []
        if self.shortfall_m2 > 0 and self.required_m2 is not None:
            basis = (
                f" for {self.households_served:,} households"
                if self.level == "compound" and self.required_m2 > COMPOUND_CENTRE_MIN_M2
                else ""
            )
            reasons.append(
                f"area {self.area_m2:,.1f} m² < {self.required_m2:,.1f} m²{basis}"
                f" (short {self.shortfall_m2:,.1f} m²)"
            )
        if self.missing_rooms:
            reasons.append(f"lacks basic rooms: {', '.join(self.missing_rooms)}")
        return reasons

    def as_dict(self) -> dict[str, Any]:
        """The judgement as JSON-ready values, with ``compliant`` and ``reasons``."""
        return {
            **asdict(self),
            "compliant": self.compliant,
            "reasons": self.reasons,
            "area_standard": "none for this level" if self.required_m2 is None else "m²",
        }


@dataclass(frozen=True)
class LevelSummary:
    """How the centres of one level (district … compound) fare against its standard; areas in
    m²."""

    level: str
    centres: int
    compliant: int
    short_of_area: int
    lacking_rooms: int
    shortfall_m2: float

    @property
    def non_compliant(self) -> int:
        """Centres of the level that fall short of area or rooms."""
        return self.centres - self.compliant

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values, with ``non_compliant``."""
        return {**asdict(self), "non_compliant": self.non_compliant}


def check_standards(
    conn: psycopg.Connection,
    *,
    scope: str | None = None,
    level: str | None = None,
    compliant: bool | None = None,
) -> list[CentreStandard]:
    """Every centre in scope against its level's standard.

    Parameters
    ----------
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    level : only centres of this level.
    compliant : only the compliant (True) or the non-compliant (False) centres.

    Returns
    -------
    One CentreStandard per centre: its floor area and the area required, m² (None where
    the level has no area standard), the shortfall in m², the basic rooms it lacks, and
    its point (lon, lat, EPSG:4326).

    Raises
    ------
    InvalidParameter naming the malformed scope or unknown level.
    """
    rows = conn.execute(query("access/standards"), _params(scope, level)).fetchall()
    return _judged(rows, compliant)


def summarise(centres: Sequence[CentreStandard]) -> list[LevelSummary]:
    """How each level's centres fare against its standard.

    Parameters
    ----------
    centres : centres judged by :func:`check_standards`.

    Returns
    -------
    One LevelSummary per level present, in LEVELS order (district … compound): centres,
    compliant, short of area, lacking rooms, and the total shortfall in m².
    """
    summaries = []
    for level in LEVELS:
        of_level = [c for c in centres if c.level == level]
        if not of_level:
            continue
        summaries.append(
            LevelSummary(
                level=level,
                centres=len(of_level),
                compliant=sum(c.compliant for c in of_level),
                short_of_area=sum(c.shortfall_m2 > 0 for c in of_level),
                lacking_rooms=sum(bool(c.missing_rooms) for c in of_level),
                shortfall_m2=round(sum(c.shortfall_m2 for c in of_level), 1),
            )
        )
    return summaries


def as_geojson(centres: Sequence[CentreStandard]) -> dict[str, Any]:
    """The centres as a GeoJSON FeatureCollection of points, for the map."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": centre.center_id,
                "geometry": {"type": "Point", "coordinates": [centre.lon, centre.lat]},
                "properties": {
                    key: value
                    for key, value in centre.as_dict().items()
                    if key not in ("lon", "lat")
                },
            }
            for centre in centres
        ],
    }


def _params(scope: str | None, level: str | None) -> dict[str, Any]:
    if level is not None and level not in LEVELS:
        raise InvalidParameter("level", f"must be one of {', '.join(LEVELS)}, not {level!r}")
    return {
        "scope": parse_scope(scope),
        "level": level,
        "community_area": COMMUNITY_CENTRE_MIN_M2,
        "compound_area": COMPOUND_CENTRE_MIN_M2,
        "compound_area_per_100_households": COMPOUND_CENTRE_M2_PER_100_HOUSEHOLDS,
        "basic_rooms": list(BASIC_ROOMS),
    }


def _judged(rows: list[Any], compliant: bool | None) -> list[CentreStandard]:
    centres = [
        CentreStandard(
            center_id=int(row[0]),
            name=row[1],
            level=row[2],
            county_code=row[3],
            subdistrict_code=row[4],
            community_code=row[5],
            compound_id=row[6],
            area_m2=_float(row[7]),
            required_m2=None if row[8] is None else _float(row[8]),
            households_served=None if row[9] is None else int(row[9]),
            shortfall_m2=_float(row[10]),
            missing_rooms=list(row[11]),
            rooms=list(row[12]),
            lon=float(row[13]),
            lat=float(row[14]),
        )
        for row in rows
    ]
    if compliant is None:
        return centres
    return [c for c in centres if c.compliant == compliant]


def _float(value: Decimal | float) -> float:
    return round(float(value), 1)
