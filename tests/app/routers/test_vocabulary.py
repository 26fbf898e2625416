"""GET /api/v1/vocabulary: every vocabulary with its labels, in order, on a migrated
database (the event categories come from their table)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis.vocabulary import VOCABULARIES


@pytest.fixture
def served(scratch_database: str) -> Iterator[tuple[TestClient, str]]:
    # The vocabulary needs no places: an empty migrated database.
    with TestClient(create_app(Settings(database_url=scratch_database))) as client:
        yield client, scratch_database


def test_every_vocabulary_in_order_with_both_labels(served: tuple[TestClient, str]) -> None:
    client, _ = served
    response = client.get("/api/v1/vocabulary")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == [*VOCABULARIES, "event_categories"]
    assert body["grid_types"] == {
        "zh": "网格类型",
        "en": "grid type",
        "columns": ["grids.grid_type"],
        "terms": [
            {"value": "base", "zh": "基础网格", "en": "base grid"},
            {"value": "dedicated", "zh": "专属网格", "en": "dedicated grid"},
        ],
    }
    kinds = body["dedicated_kinds"]["terms"]
    assert [t["value"] for t in kinds] == [
        "industrial_park",
        "office_tower",
        "mall",
        "school",
        "hospital",
        "enterprise",
        "public_security",
    ]
    assert {t["value"]: t["zh"] for t in kinds}["public_security"] == "治安重点区域"
    assert body["event_statuses"]["terms"][5] == {
        "value": "closed",
        "zh": "核查结案",
        "en": "closed",
    }
    assert body["assignee_kinds"]["columns"] == [
        "events.assignee_kind",
        "dispatch_rules.assignee_kind",
    ]


def test_event_categories_are_the_table_with_classes_as_parents(
    served: tuple[TestClient, str],
) -> None:
    client, database_url = served
    categories = client.get("/api/v1/vocabulary").json()["event_categories"]
    assert (categories["zh"], categories["columns"]) == ("事件类别", [])
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT category_code, name, name_en, parent_code FROM event_categories"
            " ORDER BY category_code"
        ).fetchall()
    assert len(rows) > 10
    expected = [
        {"value": code, "zh": name, "en": name_en, **({"parent": parent} if parent else {})}
        for code, name, name_en, parent in rows
    ]
    assert categories["terms"] == expected
    assert categories["terms"][:2] == [
        {"value": "01", "zh": "市容环境", "en": "city appearance and environment"},
        {"value": "0101", "zh": "暴露垃圾", "en": "exposed rubbish", "parent": "01"},
    ]


def test_the_page_reads_the_same_document_as_an_asset(served: tuple[TestClient, str]) -> None:
    client, _ = served
    page = client.get("/static/vocabulary.json")
    assert page.status_code == 200
    assert page.headers["content-type"] == "application/json"
    assert page.json() == client.get("/api/v1/vocabulary").json()


def test_the_openapi_document_describes_it(served: tuple[TestClient, str]) -> None:
    client, _ = served
    paths = client.get("/openapi.json").json()["paths"]
    operation = paths["/api/v1/vocabulary"]["get"]
    assert operation["summary"] == "Every vocabulary with its Chinese and English labels"
    assert "event_categories" in operation["description"]
    # the page's copy is an asset, not part of the API
    assert "/static/vocabulary.json" not in paths
