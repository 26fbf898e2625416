"""The feature collections onemap publishes: which table, which id, which properties.

One registry serves OGC API Features, the vector tiles and the dashboard, so a layer's
name, title and public properties are written down once. Personal data (an event
reporter's contact) is never listed here, so it can never leave through these APIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gis import vocabulary


@dataclass(frozen=True)
class Property:
    """One property of a collection's features as served by OGC API - Features."""

    name: str
    # JSON Schema type of the value as served: string, integer, number, boolean, array
    json_type: str
    title: str
    # SQL expression producing the value; defaults to the column of the same name
    expression: str | None = None
    # Whether `?name=value` filters on it (simple equality filter of OGC API Part 1)
    filterable: bool = False
    # What a filter value must be, so that a malformed one is refused (400) rather than
    # matching nothing: a regular expression the whole text matches (codes), or the
    # values of its vocabulary. Names and other free text have neither.
    pattern: str | None = None
    values: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        """The SQL expression producing the value."""
        return self.expression or self.name


@dataclass(frozen=True)
class Collection:
    """One OGC API - Features collection: the table it serves, its feature id, geometry type,
    properties and extents."""

    id: str
    title: str
    description: str
    table: str
    id_column: str
    # JSON type of the feature id: codes are strings, serial ids integers
    id_type: str
    geometry_type: str
    properties: tuple[Property, ...]
    # column holding the feature's instant, for `datetime=` filtering; None if timeless
    temporal_column: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # the roles that may read it (a token or a signed-in session); empty: everyone
    readers: tuple[str, ...] = ()
    # The tables whose rows make what it serves: the table itself, a view's tables, the
    # tables its property functions look up. Their change counters version what it serves
    # (gis/ogc/versions.py). Empty: its table alone.
    reads: tuple[str, ...] = ()
    # A column in which each row keeps its properties as JSON text, exactly as
    # ``properties`` build them (kept by a trigger; a test holds the two equal): pages of
    # features read it instead of building the object for every row. None: built.
    properties_column: str | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables whose changes change what the collection serves."""
        return self.reads or (self.table,)

    def property(self, name: str) -> Property | None:
        """The property named ``name``, or None when the collection has none."""
        return next((p for p in self.properties if p.name == name), None)


# The code formats of the filters (gis.codes, the tracking numbers, the departments' table).
DIGITS = "[0-9]+"
TRACKING_NUMBER = "SJ[0-9]{8,20}"
CATEGORY_CODE = "[0-9]{2}([0-9]{2})?"
DEPARTMENT_CODE = "[a-z][a-z0-9_]{1,31}"


def _code(name: str, title: str) -> Property:
    # Codes are fixed-width char(n) columns: trim them to plain strings.
    return Property(
        name, "string", title, expression=f"rtrim({name})", filterable=True, pattern=DIGITS
    )


def _term(name: str, title: str, terms: vocabulary.Vocabulary, **options: str) -> Property:
    """A property holding a vocabulary's values."""
    return Property(name, "string", title, filterable=True, values=terms.values(), **options)


def _statistics(level: str, *, grids: bool = True) -> tuple[Property, ...]:
    # Kept current by triggers (gis/grids/sql/functions/): a building counts in the grid
    # holding its ST_PointOnSurface; communities and subdistricts sum their grids. The
    # *_statistics_of functions take the row's own code column, so the expression reads
    # the same whatever alias the feature queries give the table.
    figures = [
        ("households", "resident households (sum over buildings)"),
        ("population", "residents (sum over buildings)"),
        ("buildings", "buildings whose point on surface lies in it"),
        ("compounds", "compounds 小区 whose point on surface lies in it"),
    ]
    if grids:
        figures.insert(0, ("grids", "grids 网格"))
    return tuple(
        Property(
            name,
            "integer",
            title,
            expression=f"({level}_statistics_of({level}_code)).{name}",
            filterable=True,
        )
        for name, title in figures
    )


def _centre(column: str) -> str:
    # The area's centre, by the row's own center_id: the expression reads the same
    # whatever alias the feature queries give service_areas.
    return f"service_center_{column}(center_id)"


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="subdistricts",
            title="Subdistricts 街道/镇",
            description="Township-level units of the district with their 9-digit codes.",
            table="subdistricts",
            reads=("subdistricts", "grid_statistics"),
            id_column="subdistrict_code",
            id_type="string",
            geometry_type="MultiPolygon",
            properties=(
                _code("subdistrict_code", "9-digit township code"),
                _code("county_code", "6-digit county code"),
                Property("name", "string", "name", filterable=True),
                _term("kind", "street, town or zone", vocabulary.SUBDISTRICT_KINDS),
                *_statistics("subdistrict"),
            ),
        ),
        Collection(
            id="communities",
            title="Communities 社区/村",
            description=(
                "Village-level units (residents' and villagers' committees), 12-digit codes."
            ),
            table="communities",
            reads=("communities", "grid_statistics"),
            id_column="community_code",
            id_type="string",
            geometry_type="MultiPolygon",
            properties=(
                _code("community_code", "12-digit village-level code"),
                _code("subdistrict_code", "9-digit township code"),
                _code("county_code", "6-digit county code"),
                Property("name", "string", "name", filterable=True),
                _term("kind", "community or village", vocabulary.COMMUNITY_KINDS),
                *_statistics("community"),
            ),
        ),
        Collection(
            id="grids",
            title="Grids 网格",
            description="Base grids (300-500 households) and dedicated grids, 15-digit codes.",
            table="grids",
            reads=("grids", "grid_statistics"),
            id_column="grid_code",
            id_type="string",
            geometry_type="MultiPolygon",
            properties=(
                _code("grid_code", "15-digit grid code"),
                _code("community_code", "12-digit community code"),
                _code("county_code", "6-digit county code"),
                Property("name", "string", "name", filterable=True),
                _term("grid_type", "base or dedicated", vocabulary.GRID_TYPES),
                _term("dedicated_kind", "what a dedicated grid serves", vocabulary.DEDICATED_KINDS),
                Property("leaders", "integer", "grid leaders 网格长"),
                Property("instructors", "integer", "grid instructors 网格指导员"),
                Property("members", "integer", "grid members 网格员"),
                *_statistics("grid", grids=False),
            ),
        ),
        Collection(
            id="compounds",
            title="Compounds 小区",
            description="Residential compounds with their Jiangnan type.",
            table="compounds",
            id_column="compound_id",
            id_type="integer",
            geometry_type="MultiPolygon",
            properties=(
                Property("compound_id", "integer", "compound id", filterable=True),
                _code("community_code", "12-digit community code"),
                _code("county_code", "6-digit county code"),
                Property("name", "string", "name", filterable=True),
                _term("compound_type", "compound type", vocabulary.COMPOUND_TYPES),
                Property("built_year", "integer", "year built", filterable=True),
                Property(
                    "has_property_manager", "boolean", "has a property manager", filterable=True
                ),
            ),
        ),
        Collection(
            id="buildings",
            title="Buildings 楼栋",
            description="Buildings with floors, units, households and population.",
            table="buildings",
            id_column="building_code",
            id_type="string",
            geometry_type="MultiPolygon",
            properties=(
                _code("building_code", "17-digit building code"),
                _code("community_code", "12-digit community code"),
                _code("county_code", "6-digit county code"),
                Property("compound_id", "integer", "compound id", filterable=True),
                Property("name", "string", "name"),
                _term("building_use", "use", vocabulary.BUILDING_USES),
                Property("floors", "integer", "floors", filterable=True),
                Property("units", "integer", "units (stairwells) 单元"),
                Property("households", "integer", "resident households"),
                Property("population", "integer", "residents"),
            ),
            # gis/ogc/sql/functions/building_feature_properties.sql (migration 0022)
            properties_column="feature_properties",
        ),
        Collection(
            id="service_centers",
            title="Party-mass service centres 党群服务中心",
            description="Service centres by level with floor area (m²) and rooms.",
            table="service_centers",
            id_column="center_id",
            id_type="integer",
            geometry_type="Point",
            properties=(
                Property("center_id", "integer", "centre id", filterable=True),
                _code("county_code", "6-digit county code"),
                _code("subdistrict_code", "9-digit township code"),
                _code("community_code", "12-digit community code"),
                Property("compound_id", "integer", "compound id", filterable=True),
                Property("name", "string", "name", filterable=True),
                _term(
                    "level",
                    "district, subdistrict, community or compound",
                    vocabulary.CENTRE_LEVELS,
                ),
                Property("area_m2", "number", "floor area in m²", expression="area_m2::float8"),
                Property("rooms", "array", "rooms (4+X)"),
            ),
        ),
        Collection(
            id="service_areas",
            title="Service areas 服务圈",
            description=(
                "Each service centre's 5-, 10- and 15-minute walking areas: the streets"
                " reached within speed × minutes (edges cut at the exact distance), buffered;"
                " method straight_line where the county has no walking network."
            ),
            table="service_areas",
            reads=("service_areas", "service_centers"),
            id_column="area_id",
            id_type="integer",
            geometry_type="MultiPolygon",
            temporal_column="computed_at",
            properties=(
                Property("area_id", "integer", "centre id × 100 + minutes", filterable=True),
                Property("center_id", "integer", "centre id", filterable=True),
                _code("county_code", "6-digit county code"),
                Property(
                    "name",
                    "string",
                    "the centre's name",
                    expression=_centre("name"),
                ),
                _term(
                    "level",
                    "the centre's level: district, subdistrict, community or compound",
                    vocabulary.CENTRE_LEVELS,
                    expression=_centre("level"),
                ),
                Property("minutes", "integer", "minutes' walk: 5, 10 or 15", filterable=True),
                _term(
                    "method",
                    "network (walked) or straight_line (no walking network)",
                    vocabulary.SERVICE_AREA_METHODS,
                ),
                Property("distance_m", "number", "metres walked in the time"),
                Property("speed_kmh", "number", "walking speed, km/h"),
                Property("buffer_m", "number", "half-width of the band around reached streets"),
                Property("snap_m", "number", "metres from the centre to its street"),
                Property("reached_m", "number", "metres of street reached"),
                Property("computed_at", "string", "computed at (RFC 3339)"),
            ),
        ),
        Collection(
            id="walk_edges",
            title="Walking network 步行路网",
            description=(
                "The pgRouting walking network the service areas are walked on: one edge"
                " between two nodes, its length and its connected component."
            ),
            table="walk_edges",
            id_column="edge_id",
            id_type="integer",
            geometry_type="LineString",
            properties=(
                Property("edge_id", "integer", "edge id", filterable=True),
                _code("county_code", "6-digit county code"),
                Property("source", "integer", "node it starts at"),
                Property("target", "integer", "node it ends at"),
                Property("length_m", "number", "geodesic length, m"),
                Property("highway", "string", "OpenStreetMap highway class", filterable=True),
                Property("name", "string", "street name", filterable=True),
                Property("osm_way_id", "integer", "OpenStreetMap way", filterable=True),
                Property("component", "integer", "connected component", filterable=True),
            ),
        ),
        Collection(
            id="events",
            title="Events 事件",
            description=(
                "Reported events with category, source and stage, as the public may see them:"
                " no personal data, no care visits or family disputes, points coarsened to"
                " 50 m, phone and ID numbers masked."
            ),
            # the public view (gis/events/sql/functions/public_events.sql)
            table="public_events",
            reads=("events", "event_categories", "departments"),
            id_column="event_id",
            id_type="integer",
            geometry_type="Point",
            temporal_column="reported_at",
            properties=(
                Property("event_id", "integer", "event id", filterable=True),
                Property(
                    "tracking_number",
                    "string",
                    "public tracking number",
                    filterable=True,
                    pattern=TRACKING_NUMBER,
                ),
                _code("county_code", "6-digit county code"),
                Property(
                    "category_code",
                    "string",
                    "category code",
                    filterable=True,
                    pattern=CATEGORY_CODE,
                ),
                Property("description", "string", "description"),
                _term("source", "source channel", vocabulary.EVENT_SOURCES),
                _term("status", "stage of the closed loop", vocabulary.EVENT_STATUSES),
                Property("location_source", "string", "point, photo (EXIF GPS) or address"),
                Property("reported_at", "string", "reported at (RFC 3339)"),
                Property("dispatched_at", "string", "dispatched at (RFC 3339)"),
                Property("deadline_hours", "integer", "hours allowed from dispatch"),
                Property("deadline_at", "string", "to be handled by (RFC 3339)"),
                Property("handled_at", "string", "handled at (RFC 3339)"),
                Property("closed_at", "string", "closed at (RFC 3339)"),
                Property("evaluated_at", "string", "rated by the reporter at (RFC 3339)"),
                Property("rating", "integer", "the reporter's rating, 1–5"),
                _term("assignee_kind", "department or grid (网格)", vocabulary.ASSIGNEE_KINDS),
                Property(
                    "department",
                    "string",
                    "department code the event is dispatched to",
                    expression="event_department_code(department_id)",
                    filterable=True,
                    pattern=DEPARTMENT_CODE,
                ),
                Property(
                    "overdue", "boolean", "handled late, or open past its deadline", filterable=True
                ),
                Property(
                    "escalation_level",
                    "integer",
                    "0 community station, 1 subdistrict sub-centre, 2 district centre",
                    filterable=True,
                ),
                Property("rework_count", "integer", "times sent back for rework (返工)"),
                Property("duplicate_of", "integer", "the event this one repeats", filterable=True),
                _code("grid_code", "15-digit grid code"),
                _code("community_code", "12-digit community code"),
                _code("subdistrict_code", "9-digit township code"),
            ),
        ),
        Collection(
            id="patrol_tracks",
            title="Patrol tracks 巡逻轨迹",
            description="Cleaned pieces of the tracks patrol teams walked or rode, by team"
            " (never by person), with clues found.",
            table="patrol_tracks",
            reads=("patrol_tracks", "patrol_teams"),
            id_column="track_id",
            id_type="integer",
            geometry_type="LineString",
            temporal_column="started_at",
            # where and when a team walked is where and when its members were: for the
            # command centre, auditors and planners, not the public
            readers=("admin", "staff", "auditor", "planner"),
            properties=(
                Property("track_id", "integer", "track id", filterable=True),
                _code("county_code", "6-digit county code"),
                _code("community_code", "12-digit community code"),
                Property("team_id", "integer", "patrol team id", filterable=True),
                Property("team_name", "string", "team", expression="patrol_team_name(team_id)"),
                _term(
                    "team_kind",
                    "kind of patrol team",
                    vocabulary.TEAM_KINDS,
                    expression="patrol_team_kind(team_id)",
                ),
                Property("members", "integer", "members on the patrol"),
                Property("points", "integer", "fixes kept by cleaning"),
                Property("length_m", "number", "length in metres"),
                Property("started_at", "string", "started at (RFC 3339)"),
                Property("ended_at", "string", "ended at (RFC 3339)"),
                Property("clues", "integer", "clues reported"),
            ),
        ),
        Collection(
            id="street_patrols",
            title="Street patrols 道路巡逻覆盖",
            description=(
                "Street segments of at most 50 m, one feature per segment and month (China"
                " time): patrolled when a track passed within 30 m of the segment's midpoint"
                " that month. Filter a month with month=YYYY-MM or datetime."
            ),
            # the view of gis/patrols/sql/functions/street_patrols.sql
            table="street_patrols",
            reads=("patrol_targets", "patrolled_targets"),
            id_column="patrol_id",
            id_type="integer",
            geometry_type="LineString",
            temporal_column="month_start",
            # which streets nobody walks, and when patrols pass: not for the public
            readers=("admin", "staff", "auditor", "planner"),
            properties=(
                Property("patrol_id", "integer", "segment and month", filterable=True),
                Property(
                    "month",
                    "string",
                    "month (YYYY-MM, China time)",
                    filterable=True,
                    pattern="[0-9]{4}-[0-9]{2}",
                ),
                Property("patrolled", "boolean", "passed within 30 m that month", filterable=True),
                Property("passes", "integer", "tracks that passed it"),
                Property("last_patrolled_at", "string", "last passed (RFC 3339)"),
                Property("length_m", "number", "length in metres"),
                Property("segment", "string", "street and segment"),
                _code("grid_code", "15-digit grid code"),
                _code("county_code", "6-digit county code"),
            ),
        ),
        Collection(
            id="water_areas",
            title="Water 水域",
            description="Rivers and lakes, which walks cross only on bridges.",
            table="water_areas",
            id_column="water_id",
            id_type="integer",
            geometry_type="MultiPolygon",
            properties=(
                Property("water_id", "integer", "water area id", filterable=True),
                _code("county_code", "6-digit county code"),
                Property("name", "string", "name", filterable=True),
            ),
        ),
    )
}
