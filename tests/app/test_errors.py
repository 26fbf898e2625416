"""Every error leaves the service in one JSON shape, unknown routes included."""

from __future__ import annotations


def test_unknown_paths_answer_with_a_json_problem(client):
    response = client.get("/ogc/no/such/path")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert response.json()["description"]


def test_wrong_method_answers_405_with_allow(client):
    response = client.post("/ogc/collections")
    assert response.status_code == 405
    assert response.json()["code"] == "MethodNotAllowed"
    assert "GET" in response.headers["allow"]
