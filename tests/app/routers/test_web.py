"""The page and its assets as files over HTTP; the browser behaviour is in test_dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.routers import web


@pytest.fixture
def web_client() -> TestClient:
    # The pages need no database: only the router and the static mounts.
    app = FastAPI()
    app.include_router(web.router)
    web.mount_static(app)
    return TestClient(app)


def test_page_and_assets_are_served(web_client: TestClient) -> None:
    page = web_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # the title until the page has asked what the map covers (GET /api/v1/area)
    assert "<title>一张图</title>" in page.text
    # the page's ES modules and Leaflet's, with a JavaScript type (browsers refuse others)
    for module in (
        "/static/main.js",
        "/static/core/fetch.js",
        "/static/layers/index.js",
        "/vendor/leaflet/leaflet-src.esm.js",
    ):
        answer = web_client.get(module)
        assert answer.status_code == 200, module
        assert answer.headers["content-type"].startswith("text/javascript"), module
    for asset in (
        "/static/map.css",
        "/vendor/leaflet/leaflet.css",
        "/vendor/leaflet/images/layers.png",
    ):
        assert web_client.get(asset).status_code == 200, asset


def test_npm_files_are_not_page_assets(web_client: TestClient) -> None:
    for path in (
        "/static/package.json",
        "/static/package-lock.json",
        "/static/node_modules/leaflet/dist/leaflet.js",
    ):
        assert web_client.get(path).status_code == 404, path


def test_missing_leaflet_stops_the_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(web, "_web_dir", lambda: tmp_path)
    with pytest.raises(RuntimeError, match="make setup"):
        web.mount_static(FastAPI())
