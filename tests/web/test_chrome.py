"""The one map's chrome as a command officer meets it: a title naming what the database
holds, labels that never pile up, a legend beside the layer switcher, and the notes the
system writes in the page's language."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser

from tests.web.test_dashboard import _opened


def _words(server: str) -> dict[str, dict[str, str]]:
    body = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    return {t["value"]: t for t in body["interface_words"]["terms"]}


@pytest.fixture
def district_renamed(database_url: str) -> Iterator[str]:
    """The demo's one county under another name for one test (the page must read it)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        code, name = conn.execute("SELECT county_code, name FROM districts").fetchone()
        conn.execute("UPDATE districts SET name = '青秀测试区' WHERE county_code = %s", (code,))
        try:
            yield "青秀测试区"
        finally:
            conn.execute("UPDATE districts SET name = %s WHERE county_code = %s", (name, code))


def test_the_title_names_the_county_the_database_holds(
    browser: Browser, server: str, district_renamed: str
) -> None:
    words = _words(server)
    with _opened(browser, server) as onemap:
        page = onemap.page
        zh = words["page_title"]["zh"].format(place=district_renamed)
        assert zh == "青秀测试区 一张图"
        assert page.title() == zh
        assert page.locator("#onemap-title").text_content() == zh
        assert page.locator("#map").get_attribute("aria-label") == words["map_label"]["zh"].format(
            place=district_renamed
        )
        page.click("#onemap-language")
        en = words["page_title"]["en"].format(place=district_renamed)
        assert page.title() == en
        assert page.locator("#onemap-title").text_content() == en
        page.click("#onemap-language")
