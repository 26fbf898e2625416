"""A phone's file read into tracks of timed fixes: GPX tracks and segments, GeoJSON lines
with coordTimes (RFC 3339 or epoch milliseconds) or M values; every structural problem
named with the file's own place for it, and the whole file refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gis.imports.problems import ImportRejected
from gis.patrols.reading import read_tracks

T0 = datetime(2026, 10, 5, 11, 0, tzinfo=UTC).timestamp()  # 19:00 in Nanning


def _gpx(*tracks: tuple[str, list[list[tuple[float, float, str | None]]]]) -> bytes:
    body = []
    for name, segments in tracks:
        parts = []
        for segment in segments:
            points = "".join(
                f'<trkpt lat="{lat}" lon="{lon}">'
                + (f"<time>{at}</time>" if at else "")
                + "</trkpt>"
                for lon, lat, at in segment
            )
            parts.append(f"<trkseg>{points}</trkseg>")
        body.append(f"<trk><name>{name}</name>{''.join(parts)}</trk>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
        + "".join(body)
        + "</gpx>"
    ).encode()


def _feature(geometry: dict, **properties: object) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


LINE = [[108.31, 22.81], [108.3101, 22.81], [108.3102, 22.81]]


def test_gpx_tracks_and_segments_become_tracks_in_file_order():
    data = _gpx(
        (
            "晚巡",
            [
                [
                    (108.31, 22.81, "2026-10-05T11:00:00Z"),
                    (108.3101, 22.81, "2026-10-05T11:00:10Z"),
                ],
                [
                    (108.32, 22.82, "2026-10-05T11:20:00Z"),
                    (108.3201, 22.82, "2026-10-05T11:20:15Z"),
                ],
            ],
        ),
    )
    tracks = read_tracks(data, name="round.gpx")
    assert [(t.label, t.fixes) for t in tracks] == [
        ("trk[0] 晚巡 segment 0", 2),
        ("trk[0] 晚巡 segment 1", 2),
    ]
    assert tracks[0].times == (T0, T0 + 10)
    assert tracks[1].lons == (108.32, 108.3201) and tracks[1].lats == (22.82, 22.82)


@pytest.mark.parametrize(
    ("label", "feature", "times"),
    [
        (
            "RFC 3339 with an offset",
            _feature(
                {"type": "LineString", "coordinates": LINE},
                coordTimes=[
                    "2026-10-05T19:00:00+08:00",
                    "2026-10-05T19:00:10+08:00",
                    "2026-10-05T11:00:20Z",
                ],
            ),
            (T0, T0 + 10, T0 + 20),
        ),
        (
            "epoch milliseconds",
            _feature(
                {"type": "LineString", "coordinates": LINE},
                coordTimes=[T0 * 1000, (T0 + 5) * 1000, (T0 + 9) * 1000],
            ),
            (T0, T0 + 5, T0 + 9),
        ),
        (
            "M as the fourth member",
            _feature(
                {
                    "type": "LineString",
                    "coordinates": [[*p, 80.0, T0 + i] for i, p in enumerate(LINE)],
                }
            ),
            (T0, T0 + 1, T0 + 2),
        ),
        (
            "M as the third member when measure says m",
            _feature(
                {
                    "type": "LineString",
                    "coordinates": [[*p, T0 + 2 * i] for i, p in enumerate(LINE)],
                },
                measure="m",
            ),
            (T0, T0 + 2, T0 + 4),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_geojson_times_in_each_form(label, feature, times):
    (track,) = read_tracks(json.dumps(feature).encode(), name="t.geojson")
    assert track.times == pytest.approx(times) and track.label == "features[0]", label


def test_a_multilinestring_is_a_track_per_line():
    feature = _feature(
        {"type": "MultiLineString", "coordinates": [LINE, LINE[:2]]},
        coordTimes=[[T0, T0 + 1, T0 + 2], [T0 + 900, T0 + 901]],
    )
    tracks = read_tracks(
        _collection(feature), name="t.geojson", content_type="application/geo+json"
    )
    assert [(t.label, t.fixes) for t in tracks] == [
        ("features[0] line 0", 3),
        ("features[0] line 1", 2),
    ]


# (file name, content, what the refusal must say)
REFUSED = [
    ("bad.gpx", b"<gpx><trk><trkseg><trkpt lat=", "file: not GPX"),
    ("bad.gpx", b"\xff\xfe<gpx/>", "file: not UTF-8 text"),
    ("empty.gpx", _gpx(), "file: no track in the file"),
    (
        "untimed.gpx",
        _gpx(("巡", [[(108.31, 22.81, None), (108.3101, 22.81, None)]])),
        "trk[0] 巡 segment 0: fix 0 has no time",
    ),
    (
        "one.gpx",
        _gpx(("巡", [[(108.31, 22.81, "2026-10-05T11:00:00Z")]])),
        "trk[0] 巡 segment 0: 1 fix(es); a track needs 2",
    ),
    ("t.geojson", b"{not json", "file: not JSON"),
    ("t.geojson", json.dumps({"type": "Point"}).encode(), "expected a GeoJSON Feature"),
    (
        "t.geojson",
        _collection(_feature({"type": "LineString", "coordinates": LINE})),
        "features[0]: no times: give properties.coordTimes or an M value",
    ),
    (
        "t.geojson",
        _collection(_feature({"type": "LineString", "coordinates": LINE}, coordTimes=[T0, T0 + 1])),
        "features[0]: coordTimes has 2 times for 3 positions",
    ),
    (
        "t.geojson",
        _collection(
            _feature(
                {"type": "LineString", "coordinates": LINE},
                coordTimes=["2026-10-05T19:00:00", "2026-10-05T19:00:10", "2026-10-05T19:00:20"],
            )
        ),
        "features[0]: coordTimes[0]: '2026-10-05T19:00:00' has no offset",
    ),
    (
        "t.geojson",
        _collection(_feature({"type": "Point", "coordinates": [108.31, 22.81]})),
        "features[0]: geometry is Point; a track is a LineString or MultiLineString",
    ),
    (
        "t.geojson",
        _collection(
            _feature(
                {"type": "LineString", "coordinates": [[208.31, 22.81], [108.31, 22.81]]},
                coordTimes=[T0, T0 + 1],
            )
        ),
        "features[0]: fix 0: (208.31, 22.81) is not a position",
    ),
    ("track.kml", b"<kml/>", "track.kml: send GPX (.gpx) or GeoJSON (.geojson) with times"),
]


@pytest.mark.parametrize(("name", "content", "said"), REFUSED, ids=[r[2][:40] for r in REFUSED])
def test_each_problem_is_named_and_the_file_refused(name, content, said):
    with pytest.raises(ImportRejected) as refused:
        read_tracks(content, name=name)
    assert said in str(refused.value)
    assert refused.value.report["written"] is False


def test_every_problem_of_a_file_is_listed():
    data = _collection(
        _feature({"type": "LineString", "coordinates": LINE}),
        _feature({"type": "LineString", "coordinates": LINE}, coordTimes=[T0, T0 + 1, T0 + 2]),
        _feature({"type": "Polygon", "coordinates": []}),
    )
    with pytest.raises(ImportRejected) as refused:
        read_tracks(data, name="t.geojson")
    assert [p.record for p in refused.value.problems] == ["features[0]", "features[2]"]
