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


def test_a_json_body_that_is_not_utf8_is_a_422_naming_the_body(client):
    # found by the fuzzing (tests/app/test_fuzzing.py): FastAPI's bare 400 "There was an
    # error parsing the body", a status the route does not document
    response = client.post(
        "/api/v1/events/1/transitions",
        content=b'{"action": "\xff"}',
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "InvalidRequest"
    assert response.json()["description"].startswith("body: not JSON text: byte 12 is not UTF-8")


def test_a_malformed_multipart_report_is_a_422_naming_the_body(client):
    # found by the fuzzing: Starlette's "Invalid multipart data." escaped as a bare 400
    boundary = "b0undary"
    response = client.post(
        "/api/v1/events",
        content=f"--{boundary}\r\n172624--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "InvalidEvent"
    assert (
        response.json()["description"] == "body: malformed multipart body: Invalid multipart data."
    )
