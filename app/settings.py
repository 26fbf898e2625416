"""Settings from the environment (prefix ONEMAP_); see .env.example."""

from __future__ import annotations

import hashlib
from typing import Literal

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.db import SERVICE_ROLE, database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    def connections_per_process(self) -> int:
        """What one server process may hold open at most: the request pool, the
        analyses' pool and the live feed's LISTEN connection."""
        return self.pool_max_size + self.analysis_pool_max_size + 1

    def reporter_secret(self) -> bytes | None:
        """The secret reporter keys are derived from; None: the database's own."""
        return hashlib.sha256(self.secret_key.encode()).digest() if self.secret_key else None

    def service_url(self) -> str:
        """The DSN the service connects with (``service_database_url`` or its default)."""
        return self.service_database_url or make_conninfo(self.database_url, user=SERVICE_ROLE)

    def read_service_url(self) -> str | None:
        """The DSN the service reads from the standby with (None: no standby): the host,
        port and database of ``read_database_url``, the user and password of the service
        URL, since a physical standby has the primary's roles."""
        if not self.read_database_url:
            return None
        service = conninfo_to_dict(self.service_url())
        credentials = {key: service[key] for key in ("user", "password") if key in service}
        return make_conninfo(self.read_database_url, **credentials)

    database_url: str = Field(default_factory=database_url)
    # What the HTTP service connects as: the role onemap_service (migration 0013), which
    # owns nothing, may not change the event history or the admin log, and is bound by
    # row-level security. Empty: database_url with its user replaced by onemap_service
    # (right for the local cluster's trust authentication; set it, with the password
    # `onemap migrate` gives the role, where passwords are checked).
    service_database_url: str = ""
    # A streaming standby of the database (`onemap db start --replica` makes a local one):
    # the feature and analysis reads go to it, everything else to the primary, and a
    # client reads its own writes from the primary until the standby has replayed them
    # (docs/replica.md). Only host, port and database are taken from it; the service
    # reads as the role it writes as. Empty: every read from the primary.
    read_database_url: str = ""
    # Seconds a writing client is sent to the primary for a read the standby has not yet
    # replayed (the cookie onemap_wrote_lsn's lifetime). A standby replays in milliseconds;
    # one further behind than this serves the writer its older data again.
    read_your_writes_s: int = Field(default=60, ge=1)
    # Connections each server process keeps open. A request waiting for a connection
    # costs more than an idle connection: one process serving 50 concurrent reporters
    # took 585 reports/s with 50 connections and 412/s with 20 (bench/bench_ingest.py).
    pool_min_size: int = 2
    pool_max_size: int = 50
    # Connections each process may open for the analyses (siting, the grid audit,
    # coverage): they run one at a time per caller and are rare, so a few suffice.
    analysis_pool_max_size: int = Field(default=4, ge=1)
    # How long a request waits for a pooled connection, and how many may wait at once,
    # before the answer is 503 with Retry-After: a database that is down or swamped is
    # said so in seconds, never by a hanging request. 4 s, so that the whole request is
    # answered within 5 s: a wait of 5 s itself answered after 5.01-5.02 s
    # (bench/bench_faults.py, PostgreSQL stopped mid-load).
    pool_timeout_s: float = Field(default=4.0, gt=0)
    pool_max_waiting: int = Field(default=500, ge=0)
    # Every connection's statement_timeout and lock_timeout (milliseconds): no query and
    # no wait for a lock holds a connection longer. The analyses (siting, the grid audit)
    # are the slowest statements, well under a minute on a district.
    statement_timeout_ms: int = Field(default=60_000, ge=0)
    lock_timeout_ms: int = Field(default=5_000, ge=0)
    # The secret reporter keys are derived from (an HMAC of each event under it). Set it
    # in production, 32 characters or more: then nothing in the database yields a key.
    # Empty: the database instance's own secret (migration 0013's instance_secrets).
    secret_key: str = ""
    # Megabytes of built vector tiles each server process keeps, by ETag (app/ogc/tiles.py);
    # 0 builds every tile asked for.
    tile_cache_mb: int = Field(default=64, ge=0)
    # Reports a minute one address may send without a token (app/limits.py; 0: no limit).
    public_reports_per_minute: int = Field(default=10, ge=0)
    # Seconds between the sweeps each server runs (escalating overdue events, deleting old
    # idempotency keys; one process at a time: app/maintenance.py); 0: no sweeps.
    maintenance_interval_s: float = Field(default=60.0, ge=0)
    # Seconds a 503 asks the client to wait before trying again (Retry-After).
    retry_after_s: int = Field(default=5, ge=1)
    # Public base URL used in OGC API links when the service sits behind a proxy;
    # empty means "derive from the request".
    public_url: str = ""
    # A basemap under the one map: an XYZ tile URL template ({z}/{x}/{y}, optionally {s}),
    # empty for none (the default: the page works offline). Its datum says where its
    # tiles put the ground: "gcj02" for the Chinese web maps (AMap, Tencent, Tianditu's
    # GCJ variants), whose tiles lie a few hundred metres off WGS84, so the page shifts
    # every overlay onto them.
    basemap_url: str = ""
    basemap_datum: Literal["wgs84", "gcj02"] = "wgs84"
    basemap_attribution: str = ""
    basemap_max_zoom: int = Field(default=18, ge=1, le=22)
    # The county (district) this deployment serves; used for titles and defaults.
    county_code: str = "450105"
    # Walking speed for service areas, km/h: minutes become metres on the walking network
    # (15 min at 5 km/h = 1,250 m). gis.access.DEFAULT_WALKING_SPEED_KMH is the same 5.
    walking_speed_kmh: float = Field(default=5.0, gt=0)
    # Half-width of the band drawn around the streets a service area reaches, metres
    # (gis.access.DEFAULT_BUFFER_M is the same 50).
    service_area_buffer_m: float = Field(default=50.0, ge=0, le=500)
