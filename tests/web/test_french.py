"""French throughout: error pages in the layout, flashes and labels from the catalogue."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Browser


def visible(html: str) -> str:
    """The text a reader sees (tags and attribute values such as URLs removed)."""
    return re.sub(r"<[^>]+>", " ", html)


LEAKS = ("[[", "{'", '": {', "Not Found", "pending", "acknowledged", "volume_spike")


def test_unknown_route_is_a_french_page_with_navigation(browser: Browser) -> None:
    browser.login("cm")
    r = browser.get("/no/such/page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in r.text and 'href="/alerts"' in r.text  # the menu is there
    assert '{"detail"' not in r.text and "Not Found" not in r.text
    anonymous = TestClient(browser.client.app).get("/nowhere")
    assert anonymous.status_code == 404 and "Page introuvable" in anonymous.text
    assert 'href="/login"' in anonymous.text


def test_api_errors_stay_json(browser: Browser) -> None:
    r = browser.client.get("/api/no-such-endpoint")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_forbidden_page_in_the_layout(browser: Browser) -> None:
    browser.login("officer")
    r = browser.get("/alerts")
    assert r.status_code == 403
    assert "Accès refusé" in r.text and "Votre rôle ne donne pas accès" in r.text
    assert 'href="/review"' in r.text


def test_missing_record_says_so_in_french(browser: Browser) -> None:
    browser.login("officer")
    r = browser.get("/alumni/NOBODY")
    assert r.status_code == 404 and "Page introuvable" in r.text
    assert "Aucun alumnus &#39;NOBODY&#39;" in r.text  # what is missing, not only that it is
    assert "no alumnus" not in r.text


def test_server_error_page(app: FastAPI) -> None:
    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("internal detail nobody should read")

    r = TestClient(app, raise_server_exceptions=False).get("/boom-for-test")
    assert r.status_code == 500 and "Erreur interne" in r.text
    assert "internal detail" not in r.text


def test_flashes_are_french(browser: Browser, seeded) -> None:
    browser.login("officer")
    browser.post(f"/review/{seeded.high}/reject")
    page = browser.get("/review").text
    assert "Suggestion rejetée." in page
    browser.post(f"/review/{seeded.high}/reject")  # already decided
    page = browser.get("/review").text
    assert f"La suggestion {seeded.high} a déjà été traitée ; rechargez la page" in page
    assert "already" not in page


def test_alert_and_mention_labels_are_french(browser: Browser) -> None:
    browser.login("cm")
    alerts = browser.get("/alerts").text
    assert "Pic de volume" in alerts and "avertissement" in alerts
    mentions = browser.get("/mentions").text
    assert "positif" in mentions and "Communication" in mentions
    for leak in LEAKS:
        assert leak not in visible(alerts) and leak not in visible(mentions), leak
