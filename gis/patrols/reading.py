"""Reading patrol tracks from the files phones send: GPX 1.0/1.1 (gpxpy) and GeoJSON
LineString/MultiLineString features with per-fix times.

Only the file's structure is checked here: every track must have at least two fixes,
each with a position in range and a time. Times come from a GPX ``<time>`` (UTC by the
specification), a GeoJSON ``properties.coordTimes`` (RFC 3339 with an offset, or epoch
milliseconds, as GPS loggers and togeojson write them: an array per line of a
MultiLineString) or, without coordTimes, each position's M value (its fourth member, or
the third when ``properties.measure`` says ``"m"``: epoch seconds). A time without an offset
is refused rather than guessed: a phone's local clock is not the server's. Dropping fixes
(speeds, duplicate and backward times, jumps, points outside the county) and splitting at
gaps is done in PostGIS, not here, so that every rule is counted beside the stored track.

A problem names the file and the track (``trk[1] 晚巡 segment 0``, ``features[2] line 1``);
any problem refuses the whole file (:class:`gis.imports.problems.ImportRejected`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import gpxpy
import gpxpy.gpx

from gis.imports.problems import ImportRejected, Problem

FORMATS = ("gpx", "geojson")
MIN_FIXES = 2
# a day's walk at one fix a second is 86,400: more is not one track
MAX_FIXES = 100_000
# a day's walk at one fix a second is about 10 MB of GPX
MAX_FILE_BYTES = 16 * 1024 * 1024
# epoch milliseconds from 2000 on are above this; seconds until 2286 are below
_MILLISECONDS_FROM = 1e11


@dataclass(frozen=True)
class SourceTrack:
    """One track as the file has it: where it is in the file, and its fixes in file order
    (longitude, latitude in degrees; time in seconds since the Unix epoch)."""

    label: str
    index: int
    lons: tuple[float, ...]
    lats: tuple[float, ...]
    times: tuple[float, ...]

    @property
    def fixes(self) -> int:
        """How many fixes the track has."""
        return len(self.times)


def format_of(name: str, content_type: str | None = None) -> str:
    """``gpx`` or ``geojson``, from the content type, else the file's suffix."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("application/gpx+xml", "application/gpx"):
        return "gpx"
    if kind in ("application/geo+json", "application/json"):
        return "geojson"
    lowered = name.lower()
    if lowered.endswith(".gpx"):
        return "gpx"
    if lowered.endswith((".geojson", ".json")):
        return "geojson"
    raise ImportRejected(
        [Problem("file", f"{name}: send GPX (.gpx) or GeoJSON (.geojson) with times")]
    )


def check_size(size: int, name: str) -> None:
    """ImportRejected when a file of ``size`` bytes is too big to be a day's tracks."""
    if size > MAX_FILE_BYTES:
        raise ImportRejected(
            [
                Problem(
                    "file",
                    f"{name}: {size:,} bytes; a patrol file may have at most {MAX_FILE_BYTES:,}",
                )
            ],
            {"file": name},
        )


def read_tracks(data: bytes, *, name: str, content_type: str | None = None) -> list[SourceTrack]:
    """The tracks of a file, in file order; ImportRejected naming every problem found."""
    kind = format_of(name, content_type)
    problems: list[Problem] = []
    tracks = _read_gpx(data, problems) if kind == "gpx" else _read_geojson(data, problems)
    if not problems and not tracks:
        problems.append(Problem("file", "no track in the file"))
    if problems:
        raise ImportRejected(problems, {"file": name, "format": kind})
    return tracks


def _check(
    label: str, index: int, fixes: list[tuple[float, float, float | None]], problems: list[Problem]
) -> SourceTrack | None:
    """The track, or None with its problems noted."""
    if len(fixes) < MIN_FIXES:
        problems.append(
            Problem(label, f"{len(fixes)} fix(es); a track needs {MIN_FIXES}", index=index)
        )
        return None
    if len(fixes) > MAX_FIXES:
        problems.append(
            Problem(label, f"{len(fixes):,} fixes; at most {MAX_FIXES:,} a track", index=index)
        )
        return None
    for position, (lon, lat, at) in enumerate(fixes):
        where = f"fix {position}"
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (
            -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            problems.append(
                Problem(label, f"{where}: ({lon}, {lat}) is not a position", index=index)
            )
            return None
        if at is None:
            problems.append(Problem(label, f"{where} has no time", index=index))
            return None
    return SourceTrack(
        label,
        index,
        tuple(f[0] for f in fixes),
        tuple(f[1] for f in fixes),
        tuple(f[2] for f in fixes if f[2] is not None),
    )


def _read_gpx(data: bytes, problems: list[Problem]) -> list[SourceTrack]:
    try:
        document = gpxpy.parse(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(Problem("file", f"not UTF-8 text: {error.reason} at byte {error.start}"))
        return []
    except gpxpy.gpx.GPXException as error:
        problems.append(Problem("file", f"not GPX: {error}"))
        return []
    tracks = []
    index = 0
    for t, track in enumerate(document.tracks):
        named = f" {track.name}" if track.name else ""
        for s, segment in enumerate(track.segments):
            label = f"trk[{t}]{named} segment {s}"
            fixes = [
                (
                    p.longitude,
                    p.latitude,
                    None if p.time is None else _epoch(p.time, assume_utc=True),
                )
                for p in segment.points
            ]
            found = _check(label, index, fixes, problems)
            if found is not None:
                tracks.append(found)
            index += 1
    if not document.tracks and document.routes:
        problems.append(
            Problem("file", "a GPX route (<rte>) is a plan, not a walk: send a track (<trk>)")
        )
    return tracks


def _read_geojson(data: bytes, problems: list[Problem]) -> list[SourceTrack]:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(Problem("file", f"not JSON: {error}"))
        return []
    features: object
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
    else:
        problems.append(Problem("file", "expected a GeoJSON Feature or FeatureCollection"))
        return []
    if not isinstance(features, list):
        problems.append(Problem("file", "features must be an array"))
        return []
    tracks = []
    index = 0
    for f, feature in enumerate(features):
        record = f"features[{f}]"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict):
            geometry = {}
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            properties = {}
        kind = geometry.get("type")
        if kind not in ("LineString", "MultiLineString"):
            problems.append(
                Problem(
                    record,
                    f"geometry is {kind or 'missing'}; a track is a LineString or MultiLineString",
                    index=index,
                )
            )
            index += 1
            continue
        lines = geometry.get("coordinates")
        lines = [lines] if kind == "LineString" else lines
        times = properties.get("coordTimes")
        if (
            kind == "LineString"
            and isinstance(times, list)
            and times
            and not isinstance(times[0], list)
        ):
            times = [times]
        measure_third = properties.get("measure") == "m"
        if not isinstance(lines, list):
            problems.append(Problem(record, "coordinates must be an array", index=index))
            index += 1
            continue
        for n, line in enumerate(lines):
            label = record if kind == "LineString" else f"{record} line {n}"
            line_times = times[n] if isinstance(times, list) and n < len(times) else None
            fixes = _geojson_fixes(label, index, line, line_times, measure_third, problems)
            if fixes is not None:
                found = _check(label, index, fixes, problems)
                if found is not None:
                    tracks.append(found)
            index += 1
    return tracks


def _geojson_fixes(
    label: str,
    index: int,
    line: object,
    times: object,
    measure_third: bool,
    problems: list[Problem],
) -> list[tuple[float, float, float | None]] | None:
    if not isinstance(line, list) or not all(
        isinstance(p, list) and len(p) >= 2 and all(_is_number(v) for v in p) for p in line
    ):
        problems.append(
            Problem(label, "each position must be an array of 2 to 4 numbers", index=index)
        )
        return None
    if times is not None:
        if not isinstance(times, list) or len(times) != len(line):
            count = len(times) if isinstance(times, list) else "no"
            problems.append(
                Problem(
                    label, f"coordTimes has {count} times for {len(line)} positions", index=index
                )
            )
            return None
        fixes: list[tuple[float, float, float | None]] = []
        for position, (point, value) in enumerate(zip(line, times, strict=True)):
            at = _time_value(value)
            if isinstance(at, str):
                problems.append(Problem(label, f"coordTimes[{position}]: {at}", index=index))
                return None
            fixes.append((float(point[0]), float(point[1]), at))
        return fixes
    measured = 3 if measure_third else 4
    if all(len(p) >= measured for p in line):
        return [(float(p[0]), float(p[1]), float(p[measured - 1])) for p in line]
    problems.append(
        Problem(
            label, "no times: give properties.coordTimes or an M value per position", index=index
        )
    )
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _time_value(value: object) -> float | str:
    """Epoch seconds of a coordTimes member, or what is wrong with it."""
    if _is_number(value):
        number = float(value)  # type: ignore[arg-type]
        return number / 1000 if number >= _MILLISECONDS_FROM else number
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"{value!r} is not an RFC 3339 time"
        if parsed.tzinfo is None:
            return f"{value!r} has no offset (Z or +08:00): whose clock?"
        return parsed.timestamp()
    return f"{value!r} is not a time"


def _epoch(moment: datetime, *, assume_utc: bool) -> float:
    if moment.tzinfo is None and assume_utc:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
