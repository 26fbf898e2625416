"""Storing a file of patrol tracks for a team: the database cleans every fix and either
writes the upload, its sources (as received, with what each rule dropped) and the cleaned
tracks, or writes nothing and says why for each refused track
(sql/functions/store_patrol_upload.sql).

:func:`store` is for the CLI and the demo (the owner's connection, no key); :func:`receive`
for the HTTP edge: the service's connection, told who calls (gis/people/scope.py), so
row-level security lets it write only for a team the caller may upload for, and an
``Idempotency-Key`` that makes a phone's retry safe. The key is compared with a
fingerprint of the request (:func:`fingerprint`: the team and the fixes, not the file's
format or labels), so a GPX file and its GeoJSON twin are the same request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import AsyncConnection

from gis.errors import InvalidParameter, NotFound, OnemapError
from gis.events.errors import InvalidEvent, NotAllowed
from gis.events.idempotency import check_key
from gis.imports.problems import ImportRejected, Problem
from gis.patrols.reading import SourceTrack
from gis.tokens import Caller

# What each cleaning rule is called in reports, in the order the rules apply.
RULES = ("outside", "duplicate_time", "backward_time", "jump", "speed", "lone")
SOURCES = ("api", "import", "demo")
_STORE = "SELECT * FROM store_patrol_upload(" + ", ".join(["%s"] * 16) + ")"
# what a fingerprint rounds to: 1e-7 degrees (1 cm; GPX writers keep 7 decimals), 1 ms
_DEGREE_UNITS = 1e7
_TIME_UNITS = 1e3


class UploadKeyReused(InvalidEvent):
    """An Idempotency-Key sent again with another file (HTTP 422); nothing is stored."""

    def __init__(self, key: str) -> None:
        super().__init__(
            "Idempotency-Key",
            f"{key!r} was already used for a different upload; use a new key for a new file",
        )


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
    # the answer kept under an Idempotency-Key, given again
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "upload_id": self.upload_id,
            "team": self.team_code,
            "tracks": [asdict(t) for t in self.tracks],
        }

    @classmethod
    def from_answer(cls, answer: dict[str, Any], *, replayed: bool = False) -> Stored:
        """The upload as its answer (:meth:`as_dict`) says, as the database keeps it."""
        tracks = [
            StoredTrack(
                label=t["label"],
                raw_points=t["raw_points"],
                kept_points=t["kept_points"],
                dropped={rule: t["dropped"][rule] for rule in RULES},
                pieces=t["pieces"],
                track_ids=list(t["track_ids"]),
            )
            for t in answer["tracks"]
        ]
        return cls(int(answer["upload_id"]), answer["team"], tracks, replayed)


# Who may upload over HTTP: a team's own token, a grid member for a team they are in,
# administrators and staff for any team of their county (the database holds the same
# rule: onemap_may_upload in gis/people/sql/functions/access_policies.sql).
UPLOADER_ROLES = ("team", "grid_member", "admin", "staff")


@dataclass(frozen=True)
class UploadTeam:
    """The team an upload is for: id, code and county."""

    team_id: int
    team_code: str
    county_code: str


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
    idempotency_scope: str | None = None,
    idempotency_key: str | None = None,
    request_sha256: str | None = None,
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
        idempotency_scope,
        idempotency_key,
        request_sha256,
    )


def fingerprint(tracks: Sequence[SourceTrack], *, team_id: int) -> str:
    """SHA-256 of what an upload asks to store: the team and each track's fixes, rounded to
    a centimetre and a millisecond; the file's format, name and labels left out."""
    digest = hashlib.sha256(f"team {team_id}\n".encode())
    for track in tracks:
        fixes = np.column_stack(
            (
                np.rint(np.asarray(track.lons) * _DEGREE_UNITS),
                np.rint(np.asarray(track.lats) * _DEGREE_UNITS),
                np.rint(np.asarray(track.times) * _TIME_UNITS),
            )
        ).astype(np.int64)
        digest.update(f"track {len(fixes)}\n".encode())
        digest.update(fixes.tobytes())
    return digest.hexdigest()


def outcome(
    rows: Sequence[Sequence[Any]],
    *,
    team_code: str,
    file_name: str | None,
    file_format: str,
    idempotency_key: str | None = None,
) -> Stored:
    """The stored upload (or the one an Idempotency-Key answered with), or the refusal
    naming each refused track."""
    first = rows[0][2]
    if first == "replayed":
        answer = rows[0][15]
        return Stored.from_answer(
            json.loads(answer) if isinstance(answer, str) else answer, replayed=True
        )
    if first == "key_reused":
        raise UploadKeyReused(str(idempotency_key))
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


async def receive(
    conn: AsyncConnection,
    tracks: Sequence[SourceTrack],
    *,
    team_id: int,
    team_code: str,
    file_name: str | None,
    file_format: str,
    size: int,
    uploader: Uploader,
    idempotency_scope: str,
    idempotency_key: str | None = None,
) -> Stored:
    """Store a file sent over HTTP for the team, in one transaction (all or nothing).

    ``conn`` acts for the caller (gis/people/scope.py): the database refuses an upload for
    a team the caller may not upload for (row-level security on patrol_uploads).
    With ``idempotency_key``, a repetition of the same request under the same key answers
    what the first answered (``replayed``) and stores nothing; the key with another
    request is :class:`UploadKeyReused`. Keys are ``idempotency_scope``'s (the caller's).
    """
    if idempotency_key is not None:
        check_key(idempotency_key)
    args = arguments(
        tracks,
        team_id=team_id,
        source="api",
        file_name=file_name,
        file_format=file_format,
        size=size,
        uploader=uploader,
        idempotency_scope=idempotency_scope,
        idempotency_key=idempotency_key,
        request_sha256=fingerprint(tracks, team_id=team_id),
    )
    try:
        async with conn.transaction():
            cursor = await conn.execute(_STORE, args)
            rows = await cursor.fetchall()
    except psycopg.errors.InsufficientPrivilege:
        # row-level security: whatever the edge checked, the database refused the caller
        raise NotAllowed(f"this caller may not upload for team {team_code}") from None
    return outcome(
        rows,
        team_code=team_code,
        file_name=file_name,
        file_format=file_format,
        idempotency_key=idempotency_key,
    )


_TEAMS = """
    SELECT t.team_id, t.team_code, rtrim(t.county_code), t.disabled_at IS NOT NULL
    FROM patrol_teams AS t
    WHERE t.county_code = %(county)s
      AND (%(code)s::text IS NULL OR t.team_code = %(code)s)
      AND (%(team_id)s::bigint IS NULL OR t.team_id = %(team_id)s)
      AND (%(person_id)s::bigint IS NULL OR EXISTS (
          SELECT FROM patrol_team_members AS m
          WHERE m.team_id = t.team_id AND m.person_id = %(person_id)s))
    ORDER BY t.team_code
"""


async def uploading_team(
    conn: AsyncConnection, caller: Caller, team_code: str | None
) -> UploadTeam:
    """The team ``caller`` uploads for: ``team_code`` when given, else the caller's own
    (a team token's team, a grid member's only team).

    Raises NotAllowed (403) for a team the caller may not upload for, NotFound (404) for
    a team that does not exist in the caller's county, InvalidParameter (400) when the
    team must be named.
    """
    if caller.role not in UPLOADER_ROLES:
        raise NotAllowed(f"a {caller.role} may not upload patrol tracks")
    if caller.role in ("admin", "staff") and team_code is None:
        raise InvalidParameter("team", "say whose tracks these are: team=CODE")
    if caller.role == "grid_member" and caller.person_id is None:
        raise NotAllowed("a grid member uploads with their own sign-in or personal token")
    cursor = await conn.execute(
        _TEAMS,
        {
            "county": caller.county_code,
            "code": team_code,
            "team_id": caller.team_id if caller.role == "team" else None,
            "person_id": caller.person_id if caller.role == "grid_member" else None,
        },
    )
    found = [UploadTeam(r[0], r[1], r[2]) for r in await cursor.fetchall() if not r[3]]
    if len(found) == 1:
        return found[0]
    if caller.role == "grid_member" and team_code is None:
        if found:
            codes = ", ".join(t.team_code for t in found)
            raise InvalidParameter("team", f"you are in several teams ({codes}): say which")
        raise NotAllowed("you are a member of no patrol team")
    if caller.role in ("admin", "staff"):
        raise NotFound(f"no patrol team {team_code!r} in county {caller.county_code}")
    whose = "its own team's" if caller.role == "team" else "the tracks of teams you are in"
    raise NotAllowed(f"team {team_code}: a {caller.role} uploads {whose} only")
