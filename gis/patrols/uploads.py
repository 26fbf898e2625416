"""Storing a file of patrol tracks for a team: the database cleans every fix and either
writes the upload, its sources (as received, with what each rule dropped) and the cleaned
tracks, or writes nothing and says why for each refused track
(sql/functions/store_patrol_upload.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from gis.errors import OnemapError
from gis.imports.problems import ImportRejected, Problem
from gis.patrols.reading import SourceTrack

# What each cleaning rule is called in reports, in the order the rules apply.
RULES = ("outside", "duplicate_time", "backward_time", "jump", "speed", "lone")
SOURCES = ("api", "import", "demo")
_STORE = "SELECT * FROM store_patrol_upload(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


class TeamNotServing(OnemapError):
    """The tracks lie in a county the team does not serve (HTTP 403)."""

    def __init__(self, problems: list[Problem], report: dict[str, Any]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.report = {**report, "problems": [p.as_dict() for p in problems], "written": False}

    def details(self) -> dict[str, Any]:
        """Extra members of the HTTP problem body: the whole report."""
        return self.report


@dataclass(frozen=True)
class StoredTrack:
    """One source track of the file: its fixes, what cleaning kept and dropped (by rule),
    and the ids of its cleaned pieces."""

    label: str
    raw_points: int
    kept_points: int
    dropped: dict[str, int]
    pieces: int
    track_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Stored:
    """A stored upload: its id and its tracks, in file order."""

    upload_id: int
    team_code: str
    tracks: list[StoredTrack]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "upload_id": self.upload_id,
            "team": self.team_code,
            "tracks": [asdict(t) for t in self.tracks],
        }


@dataclass(frozen=True)
class Uploader:
    """Who sends the file, for the upload's record: a name, and the token or person."""

    name: str
    token_id: int | None = None
    person_id: int | None = None


def arguments(
    tracks: Sequence[SourceTrack],
    *,
    team_id: int,
    source: str,
    file_name: str | None,
    file_format: str,
    size: int,
    uploader: Uploader,
) -> tuple[Any, ...]:
    """The arguments of store_patrol_upload: the file's fixes as parallel arrays."""
    if source not in SOURCES:
        raise ValueError(f"source {source!r}: one of {SOURCES}")
    ordinals = [i for i, t in enumerate(tracks) for _ in range(t.fixes)]
    return (
        team_id,
        source,
        file_name,
        file_format,
        size,
        uploader.name,
        uploader.token_id,
        uploader.person_id,
        [t.label for t in tracks],
        ordinals,
        [x for t in tracks for x in t.lons],
        [y for t in tracks for y in t.lats],
        [s for t in tracks for s in t.times],
    )


def outcome(
    rows: Sequence[Sequence[Any]], *, team_code: str, file_name: str | None, file_format: str
) -> Stored:
    """The stored upload, or the refusal naming each refused track."""
    report = {"file": file_name, "format": file_format, "team": team_code}
    wrong = [Problem(r[1], r[3], index=r[0]) for r in rows if r[2] == "wrong_county"]
    if wrong:
        raise TeamNotServing(wrong, report)
    refused = [Problem(r[1], r[3], index=r[0]) for r in rows if r[2] == "refused"]
    if refused:
        raise ImportRejected(refused, report)
    tracks = [
        StoredTrack(
            label=r[1],
            raw_points=r[5],
            kept_points=r[6],
            dropped=dict(zip(RULES, r[7:13], strict=True)),
            pieces=r[13],
            track_ids=list(r[14] or []),
        )
        for r in rows
    ]
    return Stored(int(rows[0][4]), team_code, tracks)


def store(
    conn: psycopg.Connection,
    tracks: Sequence[SourceTrack],
    *,
    team_id: int,
    team_code: str,
    source: str,
    file_name: str | None,
    file_format: str,
    size: int,
    uploader: Uploader,
) -> Stored:
    """Store the file's tracks for the team in one transaction (all or nothing)."""
    args = arguments(
        tracks,
        team_id=team_id,
        source=source,
        file_name=file_name,
        file_format=file_format,
        size=size,
        uploader=uploader,
    )
    with conn.transaction():
        rows = conn.execute(_STORE, args).fetchall()
        stored = outcome(rows, team_code=team_code, file_name=file_name, file_format=file_format)
    return stored
