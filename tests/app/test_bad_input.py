"""A corpus of bad input against a real server on the demo district: every piece is
answered with a 4xx whose JSON names the parameter, member or record at fault, and
nothing is stored.

The corpus is data, read at test time from ../shared/data (never copied into the
repository): mapbox/geojsonhint's invalid files, the geojson-fixtures geometries (none of
them is a report: bare geometries, polygons, collections, points far from Nanning), the
real outlines in boundaries/ that are invalid, swapped and out-of-China points, 100 MB
bodies, SQL fragments and NUL bytes in every filter of every list endpoint.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient

from app.main import create_app
from app.ogc.params import items_parameters
from app.routers import codes, events, open311
from app.settings import Settings
from gis import tokens
from gis.ogc.collections import COLLECTIONS
from tests.planters.import_places import counts, seed

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
GEOJSONHINT_BAD = SHARED / "validators" / "geojsonhint" / "test" / "data" / "bad"
GEOJSON_FIXTURES = SHARED / "validators" / "geojson-fixtures" / "data"
BOUNDARIES = SHARED / "boundaries"

MiB = 1024 * 1024
GEOJSON = "application/geo+json"
FORM = "application/x-www-form-urlencoded"
# A report that is right in every member but the one a case spoils.
GOOD_PROPERTIES = {"category": "0901", "description": "路灯不亮"}


def _corpus() -> list[Path]:
    files = sorted(GEOJSONHINT_BAD.glob("*.geojson")) + sorted(GEOJSON_FIXTURES.rglob("*.geojson"))
    # a missing corpus fails the module rather than passing it empty
    assert len(files) > 50, f"the corpus is missing: read from {SHARED}"
    return files


CORPUS = _corpus()


def _label(path: Path) -> str:
    return str(path.relative_to(SHARED / "validators"))


def _stored(conn: psycopg.Connection) -> dict[str, int]:
    tables = (
        "events",
        "event_history",
        "districts",
        "subdistricts",
        "communities",
        "grids",
        "patrol_uploads",
        "patrol_tracks",
    )
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in tables
    }


@pytest.fixture
def unchanged(database_url: str) -> Iterator[None]:
    """Counts the rows that bad input might have added, before and after the test."""
    with psycopg.connect(database_url) as conn:
        before = _stored(conn)
    yield
    with psycopg.connect(database_url) as conn:
        assert _stored(conn) == before


def _problem(response: httpx.Response) -> str:
    """The problem's text, after checking the answer is a 4xx JSON problem (Open311's
    error list under /open311/)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    body = response.json()
    if isinstance(body, list):
        return " ".join(str(error["description"]) for error in body)
    assert body["code"] and body["description"], body
    return str(body["description"])


# -- the GeoJSON corpus as reports ----------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=_label)
def test_an_invalid_geojson_file_is_refused_as_a_report(server, unchanged, path):
    response = httpx.post(
        f"{server}/api/v1/events",
        content=path.read_bytes(),
        headers={"Content-Type": GEOJSON},
        timeout=30,
    )
    problem = _problem(response)
    # the problem names the member at fault: "body: …", "properties: …", "category: …"
    member = response.json()["field"]
    assert problem.startswith(f"{member}: ")


def _geometry_of(path: Path) -> Any:
    document = json.loads(path.read_text())
    if isinstance(document, dict) and document.get("type") == "Feature":
        return document.get("geometry")
    return document


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("path", [p for p in CORPUS if _is_json(p)], ids=_label)
def test_a_report_whose_geometry_is_from_the_corpus_is_refused_naming_the_geometry(
    server, unchanged, path
):
    # Every member right but the geometry: a malformed one, a geometry that is not a
    # point, or a point far outside the district (the fixtures lie near 100°E, 0°N).
    report = {"type": "Feature", "geometry": _geometry_of(path), "properties": GOOD_PROPERTIES}
    response = httpx.post(f"{server}/api/v1/events", json=report, timeout=30)
    _problem(response)
    assert response.json()["field"] == "geometry", response.json()


# -- points in the wrong place --------------------------------------------------------

# (what, longitude, latitude) as a client would wrongly send them
WRONG_POINTS = [
    ("Jiangnan with latitude and longitude swapped", 22.78, 108.30),
    ("Nanning's centre swapped", 22.817, 108.366),
    ("null island", 0.0, 0.0),
    ("New York", -74.006, 40.713),
    ("Beijing, in China but not in the district", 116.397, 39.909),
    ("Kashgar, far west of China", 75.99, 39.47),
    ("the South Pole", 0.0, -90.0),
    ("beyond the antimeridian", 181.0, 22.8),
    ("beyond the pole", 108.3, 90.5),
]


@pytest.mark.parametrize(("what", "lon", "lat"), WRONG_POINTS, ids=[p[0] for p in WRONG_POINTS])
def test_a_report_at_a_wrong_point_is_refused(
    server, open311_key, plain_service, unchanged, what, lon, lat
):
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": GOOD_PROPERTIES,
    }
    response = httpx.post(f"{server}/api/v1/events", json=report, timeout=30)
    assert _problem(response).startswith("geometry: ")
    # the same point through Open311's form
    form = {
        "api_key": open311_key,
        "service_code": plain_service,
        "description": "路灯不亮",
        "lat": str(lat),
        "long": str(lon),
    }
    answered = httpx.post(f"{server}/open311/v2/requests.json", data=form, timeout=30)
    problem = _problem(answered)
    assert any(name in problem for name in ("lat", "long", "geometry", "point")), problem


@pytest.fixture(scope="module")
def plain_service(server) -> str:
    """An Open311 service that asks for no attributes: only the point can be wrong."""
    services = httpx.get(f"{server}/open311/v2/services.json", timeout=30).json()
    return next(s["service_code"] for s in services if not s["metadata"])


@pytest.fixture(scope="module")
def open311_key(database_url: str, demo_district) -> str:
    with psycopg.connect(database_url) as conn:
        return tokens.create(conn, name="bad input open311 client", role="open311")


# -- 100 MB bodies ----------------------------------------------------------------------

HUNDRED_MB = 100 * MiB
# (route, content type, token role or None, the status that refuses it)
LARGE_BODIES = [
    ("/api/v1/events", GEOJSON, None, 413),
    ("/api/v1/events/1/transitions", "application/json", "staff", 413),
    ("/open311/v2/requests.json", FORM, None, 413),
    # an import may be 256 MiB, but not without an administrator's token: refused first
    ("/api/v1/import/grids", "multipart/form-data; boundary=x", None, 401),
    ("/ogc/collections/events/items", GEOJSON, None, 413),
    # a patrol file may be 16 MiB
    ("/api/v1/patrols/tracks", "application/gpx+xml", "staff", 413),
]


def _send_100_mb(
    base: str, path: str, headers: dict[str, str], *, chunked: bool
) -> tuple[int, bytes]:
    """POST 100 MB in 64 KiB pieces (chunked, or with its Content-Length declared) until
    the server answers; (bytes sent, the answer)."""
    address = urlsplit(base)
    assert address.hostname and address.port
    chunk = b"x" * (64 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUNDRED_MB}"
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n{framing}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((head + "\r\n").encode())
        sent = 0
        while sent < HUNDRED_MB and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server closed its side: the answer is waiting
            sent += len(chunk)
        answer = b""
        try:
            while received := sock.recv(65536):
                answer += received
        except (ConnectionResetError, TimeoutError):
            pass
    return sent, answer


@pytest.fixture(scope="module")
def staff_key(database_url: str, demo_district) -> str:
    with psycopg.connect(database_url) as conn:
        return tokens.create(conn, name="bad input staff", role="staff")


@pytest.mark.parametrize(
    ("path", "content_type", "role", "status"), LARGE_BODIES, ids=[b[0] for b in LARGE_BODIES]
)
def test_a_100_mb_body_is_refused_before_it_is_read(
    server, staff_key, unchanged, path, content_type, role, status
):
    headers = {"Content-Type": content_type}
    if role == "staff":
        headers["Authorization"] = f"Bearer {staff_key}"
    for chunked in (True, False):
        sent, answer = _send_100_mb(server, path, headers, chunked=chunked)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status} ".encode()), (chunked, head)
        # refused while the body was coming in, long before its end (the socket buffers
        # hold a few MiB the server never read)
        assert sent < 32 * MiB, f"{sent / MiB:.0f} MiB sent before the answer"
        problem = json.loads(body)
        text = problem[0]["description"] if isinstance(problem, list) else problem["description"]
        assert ("bytes" in text and "limit" in text) or "token" in text, text


# -- SQL fragments and NUL bytes in every filter of every list endpoint -----------------


def _free_text(collection_id: str) -> tuple[str, ...]:
    """The filters of a collection that take any text (names): those with neither a
    format nor a vocabulary."""
    return tuple(
        p.name
        for p in COLLECTIONS[collection_id].properties
        if p.filterable and p.json_type == "string" and not p.pattern and not p.values
    )


# Each list endpoint, the query parameters its router accepts (the same tuples its
# check_known refuses everything else with), and which of them take any text.
LIST_ENDPOINTS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("/api/v1/events", events.LIST_PARAMETERS, ()),
    ("/api/v1/search", codes.SEARCH_PARAMETERS, ("q",)),
    ("/open311/v2/requests.json", (*open311.REQUEST_PARAMETERS, "jurisdiction_id"), ()),
] + [
    (f"/ogc/collections/{c.id}/items", items_parameters(c), _free_text(c.id))
    for c in COLLECTIONS.values()
    # a restricted collection answers 401 before reading a parameter
    if not c.readers
]
SQL_FRAGMENTS = ["' OR 1=1 --", "; DROP TABLE events", "%00"]
NUL = "\x00"  # httpx sends it percent-encoded, %00
FILTERS = [
    (path, name, name in free_text) for path, names, free_text in LIST_ENDPOINTS for name in names
]


@pytest.mark.parametrize(
    ("path", "name", "free_text"), FILTERS, ids=[f"{p}?{n}" for p, n, _ in FILTERS]
)
def test_sql_fragments_and_nul_bytes_in_a_filter_are_refused_naming_it(
    server, unchanged, path, name, free_text
):
    def sent(value: str) -> httpx.Response:
        query = {name: value}
        if path == "/api/v1/search" and name != "q":
            query["q"] = "江南"  # q is required: the other parameters are tried beside it
        return httpx.get(server + path, params=query, timeout=60)

    assert name in _problem(sent(NUL))
    for fragment in SQL_FRAGMENTS:
        response = sent(fragment)
        if not free_text:
            problem = _problem(response)
            assert name in problem, (fragment, problem)
            continue
        # A name may hold any text, quotes and semicolons included: the fragment is a
        # name that nothing has (were it SQL, "OR 1=1" would match everything).
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert body.get("numberMatched", body.get("numberReturned")) == 0, fragment


# -- imports of the corpus and of the real invalid outlines ------------------------------


def _invalid_outlines() -> list[tuple[Path, list[int]]]:
    """The boundary files with invalid outlines, and which of their features."""
    found = []
    for path in sorted(BOUNDARIES.glob("*json")):
        document = json.loads(path.read_text())
        features = document["features"] if isinstance(document, dict) else document
        invalid = [
            index
            for index, feature in enumerate(features)
            if not shapely.is_valid(shapely.geometry.shape(feature["geometry"]))
        ]
        if invalid:
            found.append((path, invalid))
    assert found, f"no invalid outline in {BOUNDARIES}"
    return found


@pytest.fixture
def importer(scratch_database: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client on a planted scratch database (imports replace places) and an
    administrator's headers."""
    seed(scratch_database)
    with psycopg.connect(scratch_database) as conn:
        secret = tokens.create(conn, name="bad input administrator", role="admin")
    app = create_app(Settings(database_url=scratch_database, pool_min_size=1, pool_max_size=2))
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def test_the_real_invalid_outlines_are_refused_naming_each_record(importer, scratch_database):
    client, admin = importer
    before = counts(scratch_database)
    for path, invalid in _invalid_outlines():
        response = client.post(
            "/api/v1/import/districts",
            params={"crs": "gcj02"},
            files={"file": (path.name, path.read_bytes(), GEOJSON)},
            headers=admin,
        )
        assert response.status_code == 422, response.text[:500]
        problems = response.json()["problems"]
        named = {p["index"] for p in problems if "invalid geometry" in p["problem"]}
        assert named == set(invalid), (path.name, problems)
        assert all(p["record"] == f"features[{p['index']}]" for p in problems)
    assert counts(scratch_database) == before


def test_the_geojson_corpus_is_refused_as_an_import(importer, scratch_database):
    client, admin = importer
    before = counts(scratch_database)
    for path in CORPUS:
        response = client.post(
            "/api/v1/import/grids",
            files={"file": (path.name, path.read_bytes(), GEOJSON)},
            headers=admin,
        )
        problem = _problem(response)  # type: ignore[arg-type]
        assert problem, _label(path)
    assert counts(scratch_database) == before


# -- the GeoJSON corpus and broken GPX as patrol tracks ------------------------------------


@pytest.fixture(scope="module")
def team_key(database_url: str, demo_district) -> str:
    """A demo patrol team's token: it may upload, so the file itself is what is refused."""
    with psycopg.connect(database_url) as conn:
        (team,) = conn.execute(
            "SELECT team_code FROM patrol_teams WHERE county_code = '450105'"
            " ORDER BY team_id LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        return tokens.create(conn, name="bad input patrol phone", role="team", team=team)


BROKEN_GPX = [
    b"",
    b"<gpx",
    b"\xff\xfe<gpx/>",
    b'<gpx version="1.1"><rte><rtept lat="22.8" lon="108.3"/></rte></gpx>',
    b'<gpx version="1.1"><trk><trkseg><trkpt lat="91" lon="108.3"><time>2026-10-12T01:00:00Z'
    b'</time></trkpt><trkpt lat="22.8" lon="108.3"><time>2026-10-12T01:00:10Z</time>'
    b"</trkpt></trkseg></trk></gpx>",
    b'<gpx version="1.1"><trk><trkseg><trkpt lat="22.8" lon="108.3">'
    b"<time>yesterday</time></trkpt></trkseg></trk></gpx>",
]


def test_the_geojson_corpus_and_broken_gpx_are_refused_as_patrol_tracks(
    server, team_key, unchanged
):
    headers = {"Authorization": f"Bearer {team_key}"}
    sent = [(GEOJSON, path.read_bytes(), _label(path)) for path in CORPUS]
    sent += [("application/gpx+xml", body, repr(body[:40])) for body in BROKEN_GPX]
    for content_type, body, label in sent:
        response = httpx.post(
            f"{server}/api/v1/patrols/tracks",
            content=body,
            headers={**headers, "Content-Type": content_type},
            timeout=30,
        )
        assert response.status_code == 422, (label, response.text[:500])
        problem = response.json()
        # the file is named, and each problem names the file or a track
        assert problem["file"].startswith("upload."), label
        assert problem["problems"] and all(
            p["record"] == "file" or p["record"].startswith(("features[", "trk[", "line"))
            for p in problem["problems"]
        ), (label, problem["problems"])
