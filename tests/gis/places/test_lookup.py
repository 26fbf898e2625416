"""Places by code and by name (gis/places/lookup.py) on the demo district (read-only) and on
planted places in scratch databases."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg import sql

from gis import codes, places
from gis.codes import InvalidCode
from gis.errors import InvalidParameter, NotFound
from gis.places import lookup


def _run(url: str, call: Any) -> Any:
    async def run() -> Any:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await call(conn)

    return asyncio.run(run())


def _unit(url: str, code: str) -> dict[str, Any]:
    return _run(url, lambda conn: places.unit(conn, code))


def _search(url: str, q: str, **options: Any) -> list[dict[str, Any]]:
    return _run(url, lambda conn: places.search(conn, q, **options))


@pytest.fixture(scope="module")
def demo(database_url: str, demo_district: dict[str, int]) -> dict[str, Any]:
    """Real codes and names from the demo: a building with 3 units in a compound and its
    ancestors, a dedicated grid and a base grid with a serial below 100."""
    with psycopg.connect(database_url) as conn:
        building, units = conn.execute(
            "SELECT building_code, units FROM buildings WHERE units = 3 "
            "AND compound_id IS NOT NULL ORDER BY building_code LIMIT 1"
        ).fetchone()
        dedicated = conn.execute(
            "SELECT grid_code FROM grids WHERE grid_type = 'dedicated' ORDER BY grid_code LIMIT 1"
        ).fetchone()[0]
        base = conn.execute(
            "SELECT grid_code FROM grids WHERE grid_type = 'base' "
            "AND substr(grid_code, 13, 1) = '0' ORDER BY grid_code DESC LIMIT 1"
        ).fetchone()[0]
        names = dict(
            conn.execute(
                "SELECT county_code::text, name FROM districts UNION ALL "
                "SELECT subdistrict_code::text, name FROM subdistricts UNION ALL "
                "SELECT community_code::text, name FROM communities UNION ALL "
                "SELECT grid_code::text, name FROM grids UNION ALL "
                "SELECT building_code::text, name FROM buildings"
            ).fetchall()
        )
    return {
        "building": building,
        "units": units,
        "dedicated": dedicated,
        "base": base,
        "names": names,
    }


def test_every_level_resolves_with_its_parents(database_url, demo):
    names = demo["names"]
    building = codes.parse(demo["building"])
    chain = [*building.ancestors(), building]
    for code in [*chain, codes.parse(demo["dedicated"])]:
        feature = _unit(database_url, code.value)
        properties = feature["properties"]
        assert feature["type"] == "Feature" and feature["id"] == code.value
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert properties["code"] == code.value and properties["level"] == code.level
        assert properties["name"] == names[code.value]
        assert properties["parents"] == [
            {"code": parent.value, "level": parent.level.value, "name": names[parent.value]}
            for parent in code.ancestors()
        ]
        west, south, east, north = feature["bbox"]
        # within Jiangnan (107.98–108.35 E, 22.33–22.87 N)
        assert 107.97 < west < east < 108.36 and 22.32 < south < north < 22.87
    township = _unit(database_url, chain[1].value)["properties"]
    assert township["kind"] in ("street", "town", "zone")
    grid = _unit(database_url, demo["dedicated"])["properties"]
    assert grid["grid_type"] == "dedicated" and grid["dedicated_kind"] is not None
    assert grid["leaders"] >= 1 and grid["instructors"] >= 1 and grid["members"] >= 0
    stored = _unit(database_url, demo["building"])["properties"]
    assert stored["units"] == 3 and stored["floors"] >= 1 and stored["households"] >= 0
    assert stored["population"] >= 0 and stored["compound"]["name"]


def test_a_legacy_grid_code_resolves_to_its_grid(database_url, demo):
    grid = demo["base"]
    legacy = grid[:12] + grid[13:]
    assert len(legacy) == 14
    feature = _unit(database_url, legacy)
    assert feature["id"] == grid and feature["properties"]["level"] == "grid"
    assert feature["properties"]["parents"][-1]["code"] == grid[:12]


def test_units_within_the_buildings_count(database_url, demo):
    building = demo["building"]
    last = _unit(database_url, codes.unit_code(building, 3))
    assert last["properties"]["level"] == "unit" and last["properties"]["unit"] == 3
    assert last["properties"]["name"] == "3单元"
    assert last["properties"]["parents"][-1]["code"] == building
    assert last["geometry"] == _unit(database_url, building)["geometry"]
    with pytest.raises(NotFound, match=rf"{building}04.*has 3 unit"):
        _unit(database_url, codes.unit_code(building, 4))
    with pytest.raises(InvalidCode, match="serial must not be zero"):
        _unit(database_url, building + "00")


def test_unknown_and_malformed_codes(database_url, demo):
    with psycopg.connect(database_url) as conn:
        absent_community = conn.execute(
            "SELECT c FROM generate_series(450105001001, 450105001999) AS c "
            "WHERE c::text NOT IN (SELECT community_code FROM communities) LIMIT 1"
        ).fetchone()[0]
        absent_building = conn.execute(
            "SELECT max(building_code)::bigint + 1 FROM buildings"
        ).fetchone()[0]
    for code in (str(absent_community), "450105001001998", str(absent_building)):
        with pytest.raises(NotFound, match=code):
            _unit(database_url, code)
    with pytest.raises(NotFound, match="no building"):
        _unit(database_url, f"{absent_building}01")
    for malformed in ("abc", "4501", "", "450105001001000", "4501050010010011"):
        with pytest.raises(InvalidCode):
            _unit(database_url, malformed)


def test_search_by_chinese_name(database_url, demo):
    results = _search(database_url, "福建园", limit=100)
    assert results[0] == {
        **results[0],
        "code": "450105001",
        "level": "township",
        "name": "福建园街道",
        "path": "江南区",
    }
    communities = [r for r in results if r["level"] == "community"]
    assert communities and all("福建园" in r["name"] for r in communities)
    assert communities[0]["path"] == "江南区 › 福建园街道"
    grid = next(r for r in results if r["level"] == "grid")
    assert grid["path"] == "江南区 › 福建园街道 › 福建园社区居委会"
    assert all("福建园" in r["name"] for r in results)
    only = _search(database_url, "福建园", levels=["community"])
    assert [r["code"] for r in only] == [r["code"] for r in communities]


def test_search_by_code_prefix(database_url, demo):
    community = demo["building"][:12]
    results = _search(database_url, community, limit=100)
    assert results[0]["code"] == community and results[0]["level"] == "community"
    assert all(r["code"].startswith(community) for r in results)
    levels = [r["level"] for r in results[1:]]
    assert levels == sorted(levels, key=lambda level: lookup.LEVEL_RANK[level])
    assert {"grid", "building"} <= set(levels)
    legacy = demo["base"][:12] + demo["base"][13:]
    assert _search(database_url, legacy)[0]["code"] == demo["base"]
    unit = codes.unit_code(demo["building"], 2)
    assert [r["code"] for r in _search(database_url, unit)] == [unit]
    assert _search(database_url, demo["building"] + "04") == []


def test_limits_and_bad_queries(database_url, demo):
    assert len(_search(database_url, "4501", limit=1)) == 1
    assert len(_search(database_url, "4501", limit=100)) == 100
    assert len(_search(database_url, "4501")) == places.DEFAULT_LIMIT
    assert len(_search(database_url, "福" * 50)) == 0
    for q, options, parameter in (
        ("4501", {"limit": 0}, "limit"),
        ("4501", {"limit": 101}, "limit"),
        ("", {}, "q"),
        ("   ", {}, "q"),
        ("福" * 51, {}, "q"),
        ("4501", {"levels": ["street"]}, "level"),
        ("4501", {"levels": []}, "level"),
    ):
        with pytest.raises(InvalidParameter) as raised:
            _search(database_url, q, **options)
        assert raised.value.parameter == parameter
    assert _search(database_url, "%") == [] and _search(database_url, "_") == []


def test_search_finds_compounds_by_name_and_id(database_url, demo):
    with psycopg.connect(database_url) as conn:
        compound_id, name, community, community_name, township, township_name = conn.execute(
            "SELECT c.compound_id, c.name, c.community_code::text, m.name, "
            "left(c.community_code, 9), s.name FROM compounds AS c "
            "JOIN communities AS m USING (community_code) "
            "JOIN subdistricts AS s ON s.subdistrict_code = m.subdistrict_code "
            "WHERE c.compound_id = (SELECT compound_id FROM buildings "
            "WHERE building_code = %s)",
            (demo["building"],),
        ).fetchone()
        same_name = conn.execute(
            "SELECT compound_id::text FROM compounds WHERE name ILIKE %s ORDER BY compound_id",
            (f"%{name}%",),
        ).fetchall()
    path = f"{demo['names'][community[:6]]} › {township_name} › {community_name}"
    found = _search(database_url, name, levels=["compound"], limit=100)
    assert sorted(r["code"] for r in found) == sorted(code for (code,) in same_name)
    assert found[0]["name"] == name  # the exact name first
    ours = next(r for r in found if r["code"] == str(compound_id))
    assert ours == {**ours, "level": "compound", "name": name, "path": path}
    assert len(ours["bbox"]) == 4 and township == community[:9]
    # the exact name ranks first among every level; a piece of it finds it too
    assert _search(database_url, name)[0]["level"] == "compound"
    assert str(compound_id) in [
        r["code"] for r in _search(database_url, name[1:], levels=["compound"], limit=100)
    ]
    # the id is an exact match: first, ahead of the codes it starts
    by_id = _search(database_url, str(compound_id))
    assert (by_id[0]["level"], by_id[0]["code"], by_id[0]["name"]) == (
        "compound",
        str(compound_id),
        name,
    )
    assert not [r for r in _search(database_url, "999999", levels=["compound"])]


def _plant(url: str) -> None:
    """A district with names chosen to tell the match ranks and LIKE wildcards apart."""
    square = "ST_Multi(ST_MakeEnvelope(108.30, 22.78, 108.31, 22.79, 4326))"
    with psycopg.connect(url) as conn:
        conn.execute(f"INSERT INTO districts VALUES ('450105', '江南区', {square})")
        for code, name in (
            ("450105001", "南湖街道"),
            ("450105002", "老南湖街道"),
            ("450105003", "甲%乙街道"),
            ("450105004", "甲丙乙街道"),
        ):
            conn.execute(
                f"INSERT INTO subdistricts VALUES (%s, '450105', %s, 'street', {square})",
                (code, name),
            )
        for code, name in (
            ("450105001002", "南湖社区"),
            ("450105001001", "南湖东社区"),
            ("450105002001", "甲_乙社区"),
            ("450105002002", "甲丁乙社区"),
            ("450105002003", "反斜\\杠社区"),
        ):
            conn.execute(
                "INSERT INTO communities VALUES "
                f"(%s, left(%s, 9), '450105', %s, 'community', {square})",
                (code, code, name),
            )
        conn.execute(
            "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, geom) "
            f"VALUES ('450105001002001', '450105001002', '450105', '南湖', 'base', {square})"
        )
        # a compound whose id reads like its township's code
        conn.execute(
            "INSERT INTO compounds (compound_id, community_code, county_code, name, "
            f"compound_type, geom) VALUES (450105001, '450105001002', '450105', '南湖花园', "
            f"'commercial', {square})"
        )


def test_ranking_exact_then_prefix_then_substring(scratch_database):
    _plant(scratch_database)
    assert [(r["level"], r["name"]) for r in _search(scratch_database, "南湖")] == [
        ("grid", "南湖"),  # exact name, although the lowest level
        ("township", "南湖街道"),  # prefixes, by level then code
        ("community", "南湖东社区"),
        ("community", "南湖社区"),
        ("compound", "南湖花园"),  # between grids and buildings
        ("township", "老南湖街道"),  # substring
    ]
    by_code = [r["code"] for r in _search(scratch_database, "450105001002")]
    assert by_code == ["450105001002", "450105001002001"]
    # a compound's id is not a code: both places are found, the code's first
    by_id = [(r["level"], r["code"], r["path"]) for r in _search(scratch_database, "450105001")]
    assert by_id[:2] == [
        ("township", "450105001", "江南区"),
        ("compound", "450105001", "江南区 › 南湖街道 › 南湖社区"),
    ]


def test_like_wildcards_match_literally(scratch_database):
    _plant(scratch_database)
    assert [r["name"] for r in _search(scratch_database, "甲%乙")] == ["甲%乙街道"]
    assert [r["name"] for r in _search(scratch_database, "甲_乙")] == ["甲_乙社区"]
    assert [r["name"] for r in _search(scratch_database, "%")] == ["甲%乙街道"]
    assert [r["name"] for r in _search(scratch_database, "斜\\")] == ["反斜\\杠社区"]
    assert len(_search(scratch_database, "乙")) == 4


def test_search_uses_the_trigram_indexes_and_primary_keys(database_url, demo):
    # With sequential scans priced out, any plan still scanning a table means the query
    # defeats its index (a text cast of a char(n) key, LIKE under a non-C collation).
    with psycopg.connect(database_url) as conn:
        conn.execute("SET enable_seqscan = off")
        for q, wanted in (
            ("福建园", ["{table}_name_trgm_idx"]),
            # the code range, answered by the primary key (not the ancestors' lookups)
            ("4501050010", ["{table}_name_trgm_idx", "Index Cond: (({column} >= "]),
        ):
            built = lookup._search_query(q, levels=None, limit=20)
            assert built is not None
            query, params = built
            plan = "\n".join(
                row[0] for row in conn.execute(sql.SQL("EXPLAIN (COSTS OFF) ") + query, params)
            )
            assert "Seq Scan" not in plan, plan
            for level in ("township", "community", "grid", "building"):
                source = lookup.SOURCES[codes.Level(level)]
                for pattern in wanted:
                    used = pattern.format(table=source.table, column=source.code_column)
                    assert used in plan, (q, used, plan)
            # compounds by name, and by id when the query is a number
            assert "compounds_name_trgm_idx" in plan, (q, plan)
            if q.isdigit():
                assert "compounds_pkey" in plan, (q, plan)
        conn.rollback()
