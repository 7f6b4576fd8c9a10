"""The UI in English when the ``locale`` setting says so, and unchanged in French.

Real pages rendered by the app (seeded database, signed-in roles): with
``locale = "en"`` the template prose, the labels and ``<html lang>`` are
English and the French headings are gone; with the default the French text is
as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.web.conftest import SECRET, Browser, Seed, web_settings
from veille.i18n import active_locale, set_locale
from web.app import WebConfig, create_app


@pytest.fixture(autouse=True)
def _back_to_french() -> Iterator[None]:
    yield
    set_locale("fr")


def _app(db_url: str, tmp_path: object, locale: str) -> FastAPI:
    settings = web_settings(db_url, tmp_path)
    settings.locale = locale  # type: ignore[assignment]
    return create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32))


def _signed_in(app: FastAPI, who: str) -> Browser:
    browser = Browser(app)
    assert browser.login(who).status_code == 303
    return browser


def test_english_pages(db_url: str, seeded: Seed, tmp_path: object) -> None:
    app = _app(db_url, tmp_path, "en")
    assert active_locale() == "en"
    login = Browser(app).get("/login").text
    assert '<html lang="en">' in login
    assert "<h1>Sign in</h1>" in login and "Password" in login
    assert "Connexion" not in login and "Mot de passe" not in login

    officer = _signed_in(app, "officer")
    review = officer.get("/review").text
    assert "Log out" in review and "Déconnexion" not in review
    assert "Field-by-field evidence" in review and "Preuves champ par champ" not in review
    # labels read English words, not internal keys or French
    assert "Last name" in review and "Nom</th>" not in review

    cm = _signed_in(app, "cm")
    home = cm.get("/home").text
    assert "Open alerts" in home and "To triage" in home
    assert "Alertes ouvertes" not in home and "À trier" not in home
    alerts = cm.get("/alerts").text
    assert "<h1>Alerts" in alerts and "Acknowledge" in alerts and "Prendre en compte" not in alerts
    alert = cm.get(f"/alerts/{seeded.alert}").text
    assert "Posts that triggered the alert" in alert and "Publications à l" not in alert
    assert "Volume spike" in alert or "Crisis keywords" in alert or "Spike in" in alert
    comms = _signed_in(app, "comms").get("/home").text
    assert "Share of voice" in comms and "Part de voix" not in comms

    # the menu and the errors raised in Python follow the setting too
    assert ">Alerts</a>" in home and ">Alertes</a>" not in home
    forged = cm.client.post(f"/alerts/{seeded.alert}/ack", data={"csrf_token": "forged" * 8})
    assert forged.status_code == 403 and "Security token (CSRF) missing" in forged.text
    assert "Jeton de sécurité" not in forged.text

    missing = officer.get("/no-such-page")
    assert missing.status_code == 404
    assert "Back to my home page" in missing.text and "Retour à mon accueil" not in missing.text


def test_french_is_the_default(db_url: str, seeded: Seed, tmp_path: object) -> None:
    app = _app(db_url, tmp_path, "fr")
    login = Browser(app).get("/login").text
    assert '<html lang="fr">' in login
    assert "<h1>Connexion</h1>" in login and "Sign in" not in login
    review = _signed_in(app, "officer").get("/review").text
    assert "Preuves champ par champ" in review and "Déconnexion" in review
    assert "Field-by-field evidence" not in review
    cm = _signed_in(app, "cm")
    home = cm.get("/home").text
    assert "Alertes ouvertes" in home and "À trier" in home and "Open alerts" not in home
    alert = cm.get(f"/alerts/{seeded.alert}").text
    assert "Publications à l'origine de l'alerte" in alert and "Prendre en compte" in alert
    comms = _signed_in(app, "comms").get("/home").text
    assert "Part de voix et tonalité face aux pairs" in comms


@pytest.mark.parametrize(
    ("target", "fr", "en"),
    [
        ('search:"ESSEC"', "recherche « ESSEC »", "search “ESSEC”"),
        ("mentions:essec", "mentions de @essec", "mentions of @essec"),
        ("sites", "sites (exploration)", "sites (crawl)"),
        ("tag:https://mastodon.social#essec", "#essec (mastodon.social)", None),
    ],
)
def test_a_crawl_target_reads_in_the_interface_language(
    target: str, fr: str, en: str | None
) -> None:
    """The sources page and ``veille sources status`` name a target through the catalogue
    (it was written in French whatever the locale)."""
    from web.render import target_label

    assert target_label(target) == fr
    set_locale("en")
    assert target_label(target) == (en or fr)
