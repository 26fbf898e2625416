"""FastAPI's OpenAPI document (/openapi.json) says what the service answers: found wrong
by the fuzzing (tests/app/test_fuzzing.py) and checked here on the document itself, for
every operation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.main import create_app
from app.problems import PROBLEM_SCHEMA
from app.routers import codes, event_stream, events, open311
from app.settings import Settings


def _document() -> dict[str, Any]:
    # building the document needs no database
    return create_app(Settings(database_url="postgresql://unused@localhost/unused")).openapi()


DOCUMENT = _document()
OPERATIONS = [
    (f"{method.upper()} {path}", path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]


@pytest.mark.parametrize(("label", "path", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_every_error_is_documented_in_the_shape_it_is_sent(label, path, operation):
    errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
    for status, response in errors.items():
        assert list(response["content"]) == ["application/json"], (status, response)
        schema = response["content"]["application/json"]["schema"]
        if path.startswith("/open311/") and status != "503":
            assert schema["type"] == "array", status  # the spec's error list
        else:
            assert schema == PROBLEM_SCHEMA, status
    # every {name} in the path is a declared parameter
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
    assert set(re.findall(r"{(\w+)}", path)) == declared


def test_fastapis_own_validation_error_is_not_documented():
    # the app answers validation errors as problems (app/errors.py), never as FastAPI's
    assert "HTTPValidationError" not in str(DOCUMENT)
    typed = DOCUMENT["paths"]["/api/v1/events/{ref}/photos/{position}"]["get"]
    assert "422" in typed["responses"]  # position can be out of range
    text_only = DOCUMENT["paths"]["/api/v1/codes/{code}"]["get"]
    assert "422" not in text_only["responses"]  # any text is a code to look up: 400 or 404


def test_geojson_answers_are_documented_as_geojson():
    for path in ("/api/v1/events", "/api/v1/codes/{code}", "/api/v1/access/areas"):
        ok = DOCUMENT["paths"][path]["get"]["responses"]["200"]
        assert "application/geo+json" in ok["content"], path


# The routes that parse their query themselves, and the parameters each accepts.
PARSED_QUERIES = [
    ("/api/v1/events", events.LIST_PARAMETERS),
    ("/api/v1/search", codes.SEARCH_PARAMETERS),
    ("/api/v1/events/stream/latest", event_stream.LATEST_PARAMETERS),
    ("/open311/v2/requests", (*open311.REQUEST_PARAMETERS, "jurisdiction_id")),
    ("/open311/v2/requests.{extension}", (*open311.REQUEST_PARAMETERS, "jurisdiction_id")),
]


@pytest.mark.parametrize(("path", "accepted"), PARSED_QUERIES, ids=[p for p, _ in PARSED_QUERIES])
def test_the_query_parameters_a_route_accepts_are_documented(path, accepted):
    parameters = DOCUMENT["paths"][path]["get"]["parameters"]
    assert [p["name"] for p in parameters if p["in"] == "query"] == list(accepted)
