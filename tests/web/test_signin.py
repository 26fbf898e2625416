"""Signing in at /signin in a real headless Chromium, phone-sized, against a real
uvicorn: the page is titled with the place the map covers, a wrong password is said
plainly, the right one sets an HttpOnly session cookie (which the page's script cannot
read) and goes on to the one map, where the signed-in line names the role in the
vocabulary's words."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser

from gis.people import directory

PHONE = {"width": 390, "height": 844}
PASSWORD = "网格巡查 2026 spring"


@pytest.fixture(scope="module")
def person(database_url: str, demo_district: dict[str, int]) -> str:
    with psycopg.connect(database_url) as conn:
        grid = conn.execute("SELECT rtrim(grid_code) FROM grids ORDER BY grid_code LIMIT 1")
        directory.add(
            conn,
            login="signin.test",
            name="黄丽",
            role="grid_member",
            password=PASSWORD,
            grids=(grid.fetchone()[0],),
        )
    return "signin.test"


def test_a_grid_member_signs_in_on_a_phone(
    browser: Browser, server: str, person: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport=PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server}/signin")
        # the title from GET /api/v1/area and the vocabulary, as the map's is: the demo's
        # one county
        area = page.evaluate("() => fetch('api/v1/area').then(r => r.json())")
        assert area["level"] == "county" and area["name"]
        page.wait_for_selector(f"#signin-title:has-text('{area['name']} 一张图')")
        assert page.title() == f"登录 · {area['name']} 一张图"
        page.fill("#login", person)
        page.fill("#password", "not the password")
        page.click("#signin-button")
        page.wait_for_selector("#signin-message:has-text('账号或密码不正确')")
        assert page.input_value("#password") == ""
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#signin-button")
        assert page.url == f"{server}/"
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["onemap_session"]["httpOnly"] is True
        assert cookies["onemap_session"]["sameSite"] == "Strict"
        assert "onemap_session" not in page.evaluate("() => document.cookie")
        me = page.evaluate("() => fetch('api/v1/session').then(r => r.json())")
        assert (me["name"], me["role"], me["signed_in_with"]) == ("黄丽", "grid_member", "session")
        page.goto(f"{server}/signin")
        page.wait_for_selector("#signed-in:not([hidden])")
        assert page.inner_text("#signed-in-role") == "网格员"  # gis/vocabulary.py person_roles
        assert page.is_hidden("#signin-form")  # signed in: no form to fill again
        shot = tmp_path / "signin.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        page.click("#signout-button")
        page.wait_for_selector("#signin-form:not([hidden])")
        assert page.evaluate("() => fetch('api/v1/session').then(r => r.status)") == 401
        assert errors == []
    finally:
        page.close()
