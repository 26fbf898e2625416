"""Settings from the environment (prefix ONEMAP_); see .env.example."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.db import database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=database_url)
    # Connections each server process keeps open. A request waiting for a connection
    # costs more than an idle connection: one process serving 50 concurrent reporters
    # took 585 reports/s with 50 connections and 412/s with 20 (bench/bench_ingest.py).
    pool_min_size: int = 2
    pool_max_size: int = 50
    # Public base URL used in OGC API links when the service sits behind a proxy;
    # empty means "derive from the request".
    public_url: str = ""
    # The county (district) this deployment serves; used for titles and defaults.
    county_code: str = "450105"
    # Walking speed for service areas, km/h: minutes become metres on the walking network
    # (15 min at 5 km/h = 1,250 m). gis.access.DEFAULT_WALKING_SPEED_KMH is the same 5.
    walking_speed_kmh: float = Field(default=5.0, gt=0)
    # Half-width of the band drawn around the streets a service area reaches, metres
    # (gis.access.DEFAULT_BUFFER_M is the same 50).
    service_area_buffer_m: float = Field(default=50.0, ge=0, le=500)
