"""The demo district's invariants, checked in PostGIS on the loaded district."""

from __future__ import annotations

import hashlib
import re
import statistics
from datetime import datetime

import psycopg
import pytest
import shapely

from gis import demo, tokens
from gis.access.coverage import coverage_report
from gis.demo import activity, writer
from gis.demo.geography import TERRITORIES
from gis.demo.outline import jiangnan_outline
from gis.patrols import visits as patrol_visits
from gis.progress import SILENT
from tests.planters.event_places import run

# Geography areas of exactly shared edges come out at 0; allow float dust only.
AREA_DUST_M2 = 0.01


def scalar(conn: psycopg.Connection, sql: str, *params: object) -> object:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def test_counts_match_jiangnan(db, demo_district):
    assert demo_district["subdistricts"] == 11
    assert demo_district["communities"] == 120
    assert demo_district["grids"] == 418
    for table, count in demo_district.items():
        assert scalar(db, f"SELECT count(*) FROM {table}") == count


def test_real_codes_and_names(db, demo_district):
    assert scalar(db, "SELECT name FROM subdistricts WHERE subdistrict_code = '450105001'") == (
        "福建园街道"
    )
    assert scalar(db, "SELECT count(*) FROM communities WHERE kind = 'village'") == 68
    assert scalar(db, "SELECT count(*) FROM communities WHERE kind = 'community'") == 52


def test_district_is_jiangnans_real_outline(db, demo_district):
    outline = shapely.to_wkb(jiangnan_outline(), hex=True)
    difference, area = db.execute(
        """
        SELECT ST_Area(ST_SymDifference(d.geom, o.geom)::geography),
               ST_Area(o.geom::geography)
        FROM districts d, (SELECT ST_SetSRID(ST_GeomFromWKB(decode(%s, 'hex')), 4326) geom) o
        """,
        (outline,),
    ).fetchone()
    assert 1.15e9 < area < 1.21e9  # Jiangnan is about 1,180 km²
    assert difference <= 1e-4 * area


def test_streets_lie_north_east_and_ten_times_as_dense_as_the_towns(db, demo_district):
    rows = {
        kind: (lon, lat, households / km2)
        for kind, lon, lat, households, km2 in db.execute(
            """
            SELECT s.kind, ST_X(ST_Centroid(ST_Union(s.geom))), ST_Y(ST_Centroid(ST_Union(s.geom))),
                   (SELECT sum(b.households) FROM buildings b JOIN communities c
                      USING (community_code) JOIN subdistricts t USING (subdistrict_code)
                    WHERE t.kind = s.kind),
                   sum(ST_Area(s.geom::geography)) / 1e6
            FROM subdistricts s WHERE s.kind IN ('street', 'town') GROUP BY s.kind
            """
        ).fetchall()
    }
    street_lon, street_lat, street_density = rows["street"]
    town_lon, town_lat, town_density = rows["town"]
    assert street_lon > town_lon and street_lat > town_lat
    assert street_density >= 10 * town_density


def test_town_seats_stand_near_their_real_places(db, demo_district):
    """Each town's own centre (where its seat community's is) lies within 4 km of the town
    government's published position."""
    towns = [
        code
        for (code,) in db.execute("SELECT subdistrict_code FROM subdistricts WHERE kind = 'town'")
    ]
    assert len(towns) == 4
    for code in towns:
        territory = TERRITORIES[code]
        distance = scalar(
            db,
            """SELECT ST_Distance(geom::geography,
                                  ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)
               FROM service_centers WHERE level = 'subdistrict' AND subdistrict_code = %s""",
            *territory.seat,
            code,
        )
        assert distance < 4000, code


def test_walks_cross_the_river_only_on_bridges(db, demo_district):
    assert scalar(db, "SELECT count(*) FROM water_areas") == 1
    bridges = scalar(db, "SELECT count(*) FROM streets WHERE bridge")
    assert bridges >= 5
    crossings = db.execute(
        """
        SELECT e.edge_id, EXISTS (SELECT 1 FROM streets s WHERE s.bridge
                                  AND ST_Covers(ST_Buffer(s.geom, 1e-7), e.geom))
        FROM walk_edges e JOIN water_areas w ON ST_Intersects(e.geom, w.geom)
        WHERE ST_Length(ST_Intersection(e.geom, w.geom)::geography) > 0.01
        """
    ).fetchall()
    assert len(crossings) >= bridges
    assert [edge for edge, on_bridge in crossings if not on_bridge] == []
    # one network: the south bank's streets with the bridges reaching out from it
    assert scalar(db, "SELECT count(DISTINCT component) FROM walk_edges") == 1


def test_towns_are_less_covered_than_the_streets(db, demo_district):
    report = coverage_report(db, minutes=15, group_by="subdistrict")
    kinds = dict(db.execute("SELECT subdistrict_code, kind FROM subdistricts").fetchall())
    covered = {"street": [0, 0], "town": [0, 0]}
    for row in report.groups:
        if kinds[row.code] in covered:
            covered[kinds[row.code]][0] += row.covered_households
            covered[kinds[row.code]][1] += row.households
    streets, towns = (covered[k][0] / covered[k][1] for k in ("street", "town"))
    assert streets > 0.9 and towns < streets - 0.2
    # rural centres are far from some of their villages' houses
    far = scalar(
        db,
        """SELECT count(*) FROM buildings b JOIN communities c USING (community_code)
           JOIN subdistricts s USING (subdistrict_code)
           JOIN service_centers sc
             ON sc.level = 'community' AND sc.community_code = c.community_code
           WHERE s.kind = 'town' AND c.kind = 'village' AND b.households > 0
             AND ST_Distance(b.geom::geography, sc.geom::geography) > 1250""",
    )
    assert far > 0


@pytest.mark.parametrize(
    ("child", "parent", "key"),
    [
        ("grids", "communities", "community_code"),
        ("communities", "subdistricts", "subdistrict_code"),
        ("subdistricts", "districts", "county_code"),
    ],
)
def test_children_tile_their_parent(db, demo_district, child, parent, key):
    gaps = db.execute(
        f"""
        SELECT p.{key}, ST_Area(ST_SymDifference(p.geom, u.geom)::geography)
        FROM {parent} p
        JOIN (SELECT {key}, ST_Union(geom) geom FROM {child} GROUP BY {key}) u USING ({key})
        WHERE ST_Area(ST_SymDifference(p.geom, u.geom)::geography) > %s
        """,
        (AREA_DUST_M2,),
    ).fetchall()
    assert gaps == []
    overlaps = scalar(
        db,
        f"""
        SELECT count(*) FROM {child} a JOIN {child} b
          ON a.ctid < b.ctid AND ST_Intersects(a.geom, b.geom)
        WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > %s
        """,
        AREA_DUST_M2,
    )
    assert overlaps == 0
    unparented = scalar(
        db,
        f"SELECT count(*) FROM {parent} p WHERE NOT EXISTS "
        f"(SELECT 1 FROM {child} c WHERE c.{key} = p.{key})",
    )
    assert unparented == 0


def test_every_building_lies_in_exactly_one_grid(db, demo_district):
    spread = db.execute(
        """
        SELECT n, count(*) FROM (
            SELECT b.building_code, count(g.grid_code) n
            FROM buildings b LEFT JOIN grids g ON ST_Within(b.geom, g.geom)
            GROUP BY b.building_code) per_building
        GROUP BY n
        """
    ).fetchall()
    assert spread == [(1, demo_district["buildings"])]


def test_buildings_lie_in_their_community_and_compound(db, demo_district):
    assert (
        scalar(
            db,
            """SELECT count(*) FROM buildings b JOIN communities c USING (community_code)
                         WHERE NOT ST_Within(b.geom, c.geom)""",
        )
        == 0
    )
    assert (
        scalar(
            db,
            """SELECT count(*) FROM buildings b JOIN compounds c USING (compound_id)
                         WHERE NOT ST_CoveredBy(b.geom, c.geom)""",
        )
        == 0
    )
    assert (
        scalar(
            db,
            """SELECT count(*) FROM buildings a JOIN buildings b
                           ON a.building_code < b.building_code AND ST_Intersects(a.geom, b.geom)
                         WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > %s""",
            AREA_DUST_M2,
        )
        == 0
    )


def test_codes_are_valid_unique_and_nest(db, demo_district):
    checks = {
        "grids": "grid_code ~ '^[0-9]{15}$' AND left(grid_code, 12) = community_code",
        "communities": (
            "community_code ~ '^[0-9]{12}$' AND left(community_code, 9) = subdistrict_code"
        ),
        "subdistricts": (
            "subdistrict_code ~ '^[0-9]{9}$' AND left(subdistrict_code, 6) = county_code"
        ),
        "buildings": "building_code ~ '^[0-9]{17}$' AND left(building_code, 12) = community_code",
    }
    for table, rule in checks.items():
        assert scalar(db, f"SELECT count(*) FROM {table} WHERE NOT ({rule})") == 0, table
    for table, code in [("grids", "grid_code"), ("buildings", "building_code")]:
        assert scalar(db, f"SELECT count(*) - count(DISTINCT {code}) FROM {table}") == 0
    # serials: base 001-799, dedicated 800-999, each community's base grids from 001 up
    assert (
        scalar(
            db,
            """SELECT count(*) FROM grids WHERE
        (grid_type = 'base') <> (substr(grid_code, 13, 3)::int BETWEEN 1 AND 799)""",
        )
        == 0
    )
    assert (
        scalar(
            db,
            """SELECT count(*) FROM (SELECT community_code, count(*) n,
        max(substr(grid_code, 13, 3)::int) top FROM grids WHERE grid_type = 'base'
        GROUP BY 1) x WHERE n <> top""",
        )
        == 0
    )
    # codes nest spatially too: a grid lies in the community its code names
    assert (
        scalar(
            db,
            """SELECT count(*) FROM grids g JOIN communities c USING (community_code)
                         WHERE NOT ST_CoveredBy(g.geom, c.geom)""",
        )
        == 0
    )


def test_base_grids_hold_300_to_500_households(db, demo_district):
    low, high, dedicated_kinds = db.execute(
        """
        SELECT min(h) FILTER (WHERE grid_type = 'base'), max(h) FILTER (WHERE grid_type = 'base'),
               count(DISTINCT dedicated_kind)
        FROM (SELECT g.grid_code, g.grid_type, g.dedicated_kind, coalesce(sum(b.households), 0) h
              FROM grids g LEFT JOIN buildings b ON ST_Within(b.geom, g.geom)
              GROUP BY g.grid_code, g.county_code) per_grid
        """
    ).fetchone()
    assert low >= 300 and high <= 500
    assert dedicated_kinds >= 4  # schools, hospitals, malls, parks …


def test_service_centres_include_substandard_ones(db, demo_district):
    rows = dict(
        db.execute(
            """SELECT level, count(*) FILTER (WHERE area_m2 < CASE level WHEN 'community' THEN 500
                                                             ELSE 300 END)
           FROM service_centers WHERE level IN ('community', 'compound') GROUP BY level"""
        ).fetchall()
    )
    assert rows["community"] > 0 and rows["compound"] > 0
    # one community centre per community, standing in a building of that community
    assert (
        scalar(
            db,
            """SELECT count(DISTINCT community_code) FROM service_centers
                         WHERE level = 'community'""",
        )
        == 120
    )
    assert (
        scalar(
            db,
            """SELECT count(*) FROM service_centers s WHERE level = 'community'
        AND NOT EXISTS (SELECT 1 FROM buildings b WHERE b.community_code = s.community_code
                        AND ST_Intersects(b.geom, s.geom))""",
        )
        == 0
    )


def test_events_are_placed_and_clustered(db, demo_district):
    assert scalar(db, "SELECT count(*) FROM events WHERE grid_code IS NULL") == 0
    assert (
        scalar(
            db,
            """SELECT count(*) FROM events e JOIN grids g USING (grid_code)
                         WHERE NOT ST_Intersects(g.geom, e.geom)""",
        )
        == 0
    )
    # complaints concentrate: the busiest tenth of grids takes far more than a tenth
    share = scalar(
        db,
        """
        SELECT sum(n) FILTER (WHERE rank <= (SELECT count(*) / 10 FROM grids))::float / sum(n)
        FROM (SELECT count(e.event_id) n, rank() OVER (ORDER BY count(e.event_id) DESC) rank
              FROM grids g LEFT JOIN events e USING (grid_code) GROUP BY g.grid_code) x""",
    )
    assert share > 0.25


def test_cleaned_patrol_fixes_lie_within_20_m_of_a_street(db, demo_district):
    # GPS noise and all, what cleaning keeps is on the streets and footways walked
    off_street = scalar(
        db,
        """
        SELECT count(*) FROM (SELECT (ST_DumpPoints(geom)).geom p FROM patrol_tracks) v
        WHERE NOT EXISTS (SELECT 1 FROM streets s WHERE s.geom && ST_Expand(v.p, 0.0005)
                          AND ST_DWithin(s.geom::geography, v.p::geography, 20))""",
    )
    assert demo_district["patrol_tracks"] > 1000
    assert off_street == 0


def test_phones_are_imperfect_and_cleaning_counts_it(db, demo_district):
    dropped = db.execute(
        """SELECT sum(dropped_duplicate_time), sum(dropped_backward_time), sum(dropped_jump),
                  sum(dropped_speed), sum(dropped_lone), sum(raw_points)
           FROM patrol_sources"""
    ).fetchone()
    assert dropped is not None
    *rules, raw = dropped
    assert all(count > 0 for count in rules), rules
    # glitches are the exception: one fix in a hundred at most
    assert sum(rules) < raw / 100


def test_grid_months_differ_and_some_grids_fall_below_the_standard(db, demo_district):
    october = patrol_visits.coverage_report(
        db,
        start=datetime(2026, 10, 1, tzinfo=activity.CHINA),
        end=datetime(2026, 11, 1, tzinfo=activity.CHINA),
        scope="450105",
        now=activity.EPOCH,
    )
    base = [g for g in october.grids if g.grid_kind == "base"]
    below = [g for g in base if not g.meets_standard]
    assert len(below) >= 0.1 * len(base)
    assert len(below) < len(base)  # and some meet it
    months = patrol_visits.coverage_report(
        db, start=activity.PATROL_FROM, end=activity.PATROL_TO, scope="450105", now=activity.EPOCH
    )
    visits = [m.visits for g in months.grids if g.grid_kind == "base" for m in g.months]
    assert len(visits) == 3 * len(base)
    assert statistics.pstdev(visits) > 0.5 * statistics.mean(visits)


def test_volunteers_patrol_in_the_evening(db, demo_district):
    hours = [
        hour
        for (hour,) in db.execute(
            """SELECT extract(hour FROM s.entered_at AT TIME ZONE 'Asia/Shanghai')
               FROM patrol_stretches s JOIN patrol_teams t USING (team_id)
               WHERE t.kind = 'volunteers'"""
        )
    ]
    assert len(hours) > 100
    assert min(hours) >= 18


def test_couriers_ride_the_main_streets(db, demo_district):
    fixes, off_main = db.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM streets s WHERE s.street_class IN ('primary', 'secondary')
                   AND s.geom && ST_Expand(v.p, 0.0005)
                   AND ST_DWithin(s.geom::geography, v.p::geography, 20)))
        FROM (SELECT (ST_DumpPoints(p.geom)).geom p FROM patrol_tracks p
              JOIN patrol_teams t USING (team_id) WHERE t.kind = 'couriers') v"""
    ).fetchone()  # type: ignore[misc]
    assert fixes > 1000
    assert off_main == 0


def test_backing_units_serve_grids_and_some_visit_too_little(db, demo_district):
    served = scalar(
        db,
        """SELECT count(*) FROM patrol_team_grids g JOIN patrol_teams t USING (team_id)
           WHERE t.kind = 'units'""",
    )
    assert served > 0
    units = [
        row
        for row in patrol_visits.coverage_report(
            db,
            start=activity.PATROL_FROM,
            end=activity.PATROL_TO,
            group_by="team",
            scope="450105",
            now=activity.EPOCH,
        ).grids
        if row.team_kind == "units"
    ]
    assert len(units) == served
    months = [m for row in units for m in row.months]
    assert any(m.visits < 2 for m in months)
    assert any(m.visits >= 2 for m in months)


def _fingerprint(district) -> str:
    plan = district.plan
    digest = hashlib.sha256()
    digest.update(district.ground.corners.tobytes())
    for b in plan.buildings:
        digest.update(f"{b.cell}{b.box}{b.floors}{b.households}".encode())
    return digest.hexdigest()


def test_same_seed_same_district_other_seed_other_district():
    first = _fingerprint(demo.build("district", seed=11))
    assert first == _fingerprint(demo.build("district", seed=11))
    assert first != _fingerprint(demo.build("district", seed=12))


def test_every_demo_event_has_the_loop_behind_its_stage(db, demo_district):
    """Each history walks legal transitions from `reported` to the event's stage, in time
    order, and the event row agrees with it."""
    from gis.events.stages import TRANSITIONS

    legal = {(t.action, source, t.target) for t in TRANSITIONS for source in t.sources}
    legal |= {("report", None, "reported"), ("escalate", "dispatched", "dispatched"),
              ("escalate", "in_progress", "in_progress")}  # fmt: skip
    rows = db.execute(
        "SELECT e.event_id, e.status, e.reported_at, e.dispatched_at, e.handled_at,"
        " e.deadline_at, e.overdue, e.rework_count,"
        " array_agg(h.action ORDER BY h.history_id), array_agg(h.from_status ORDER BY"
        " h.history_id), array_agg(h.to_status ORDER BY h.history_id),"
        " array_agg(h.at ORDER BY h.history_id)"
        " FROM events AS e JOIN event_history AS h USING (event_id, county_code)"
        " GROUP BY e.event_id, e.county_code"
    ).fetchall()
    assert len(rows) == demo_district["events"]
    late = 0
    for (_, status, reported, dispatched, handled, deadline, overdue, reworks,
         actions, sources, targets, times) in rows:  # fmt: skip
        assert actions[0] == "report" and times[0] == reported
        assert all((a, s, t) in legal for a, s, t in zip(actions, sources, targets, strict=True))
        assert all(t == s for t, s in zip(targets[:-1], sources[1:], strict=True))
        assert targets[-1] == status
        assert times == sorted(times)
        if "dispatch" in actions:
            assert dispatched == times[actions.index("dispatch")]
        handles = [t for a, t in zip(actions, times, strict=True) if a == "handle"]
        assert handled == (handles[-1] if handles else None)
        assert reworks == actions.count("rework")
        if handled is not None:
            assert overdue == (handled > deadline)
            late += overdue
    handled_events = scalar(db, "SELECT count(*) FROM events WHERE handled_at IS NOT NULL")
    # a working district: most handled in time, some late
    assert 0.05 < late / handled_events < 0.25
    assert scalar(db, "SELECT count(*) FROM events WHERE escalation_level > 0") > 0


def test_the_notes_people_typed_in_the_demo_are_in_chinese(db, demo_district):
    """Staff in a Chinese district write their notes in Chinese (the system's own notes
    carry a note_code the page words in its language)."""
    typed = db.execute(
        "SELECT action, note FROM event_history WHERE actor_role <> 'system' AND note <> ''"
        " GROUP BY action, note ORDER BY action"
    ).fetchall()
    assert {action for action, _ in typed} >= {"reject", "merge", "not_responsible", "rework"}
    assert [(a, n) for a, n in typed if re.search(r"[A-Za-z]", n)] == []


def test_a_team_token_survives_loading_the_demo_again(scratch_database):
    # Loading the demo truncates places, events and tracks, but upserts the teams: a
    # phone's token acting for a demo team keeps working (nothing cascades to tokens).
    district = demo.build("district", seed=7)
    with psycopg.connect(scratch_database) as conn:
        writer.write(conn, district, SILENT)
        conn.commit()
        team_id, team = conn.execute(
            "SELECT team_id, team_code FROM patrol_teams ORDER BY team_id LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        secret = tokens.create(conn, name="a team's phone", role="team", team=team)
        conn.commit()
        writer.write(conn, district, SILENT)
        conn.commit()
        assert scalar(conn, "SELECT count(*) FROM patrol_tracks") > 0
    caller = run(scratch_database, lambda c: tokens.identify(c, secret))
    assert (caller.role, caller.team_id) == ("team", team_id)
