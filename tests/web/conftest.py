"""Fixtures for the web UI: a seeded database, the app, signed-in clients."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from store.db import session_scope
from store.models import Alert, Alumnus, Mention, Suggestion, User
from store.users import create_api_token, hash_password
from tests.conftest import make_settings
from veille.config import Settings
from web.app import WebConfig, create_app

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-" + "x" * 40
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
ROLES = {
    "admin": "admin",
    "officer": "alumni_officer",
    "cm": "community_manager",
    "comms": "communications",
}


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Seed:
    alumnus: str
    xss_alumnus: str
    high: int
    medium: int
    low_email: int
    xss_suggestion: int
    alert: int
    #: Each account's token with the widest scope its role allows (review; admin for admin).
    tokens: dict[str, str]
    #: Each account's read-only token.
    read_tokens: dict[str, str]


def seed_database(url: str) -> Seed:
    """Two alumni with suggestions in every band, hostile text, alerts, accounts."""
    now = datetime.now(UTC)
    # the shape enrich.suggestions writes (enrich.matching.evidence_for under "match")
    evidence = {
        "match": {
            "last_name": {"level": "exact", "weight": 6.2, "values": ["martin", "martin"]},
            "city": {"level": "jw>=0.88", "weight": 1.4, "values": ["lyon", "lyon 3e"]},
            "graduation_year": {"level": "different", "weight": -0.3, "values": [2015, 2012]},
        },
        "match_probability": 0.98,
    }
    provenance = {
        "source_url": "https://annuaire.example.org/claire-martin",
        "fetched_at": "2026-11-01T10:00:00Z",
        "method": "schema_person",
        "rule_version": "r1",
        "snippet": "Claire Martin a rejoint New Corp comme directrice",
    }
    with session_scope(url) as s:
        s.add(
            Alumnus(
                id="A-001",
                first_name="Claire",
                last_name="Martin",
                program="MSc",
                graduation_year=2015,
                employer="Old Corp",
                job_title="Analyste",
                city="Lyon",
                emails=["claire@old.example"],
            )
        )
        s.add(
            Alumnus(
                id="A-002",
                first_name=XSS_SCRIPT,
                last_name=XSS_IMG,
                employer=XSS_IMG,
                emails=[],
            )
        )
        s.flush()
        high = Suggestion(
            dedupe_key="s-high", alumnus_id="A-001", field="employer", old_value="Old Corp",
            new_value="New Corp", confidence=0.97, evidence=evidence, provenance=provenance,
        )  # fmt: skip
        medium = Suggestion(
            dedupe_key="s-med", alumnus_id="A-001", field="job_title", old_value="Analyste",
            new_value="Directrice", confidence=0.9, evidence=evidence, provenance=provenance,
        )  # fmt: skip
        low = Suggestion(
            dedupe_key="s-low", alumnus_id="A-001", field="emails", old_value=None,
            new_value="claire@new.example", confidence=0.7, evidence=evidence,
            provenance=provenance,
        )  # fmt: skip
        xss = Suggestion(
            dedupe_key="s-xss", alumnus_id="A-002", field="job_title", old_value=XSS_IMG,
            new_value=XSS_SCRIPT, confidence=0.99,
            evidence={
                "match": {
                    XSS_SCRIPT: {"level": XSS_IMG, "weight": 1.0, "values": [XSS_IMG, XSS_SCRIPT]}
                },
                XSS_IMG: XSS_SCRIPT,
            },
            provenance={"source_url": "javascript:alert(1)", "snippet": XSS_SCRIPT + XSS_IMG},
        )  # fmt: skip
        s.add_all([high, medium, low, xss])
        s.add(
            Mention(
                platform="mastodon", platform_id="m1", url="javascript:alert(1)",
                author_handle=XSS_IMG, author_key="k" * 16, title=XSS_IMG,
                text=f"Bravo {XSS_SCRIPT} {XSS_IMG}", published_at=now - timedelta(days=1),
                alumnus_id="A-002", team="communications", sentiment_label="positive",
            )
        )  # fmt: skip
        alert = Alert(
            dedupe_key="al-1", rule="volume_spike", severity="warning", title=XSS_SCRIPT,
            window_start=now - timedelta(hours=2), window_end=now, observed=42, baseline=5,
            sigma=4.1, details={"top_terms": [XSS_IMG]},
        )  # fmt: skip
        s.add(alert)
        s.flush()
        for username, role in ROLES.items():
            # one real argon2 hash reused for every seeded account (hashing is slow
            # by design); sign-in still verifies it for real
            s.add(User(username=username, password_hash=_password_hash(), role=role))
        s.flush()
        tokens = {
            u: create_api_token(s, u, "tests", "admin" if u == "admin" else "review") for u in ROLES
        }
        read_tokens = {u: create_api_token(s, u, "tests", "read") for u in ROLES}
        assert high.id and medium.id and low.id and xss.id and alert.id
        return Seed(
            "A-001", "A-002", high.id, medium.id, low.id, xss.id, alert.id, tokens, read_tokens
        )


def web_settings(url: str, tmp_path: object) -> Settings:
    settings = make_settings(
        output_dir=str(tmp_path),
        web={"secure_cookies": False, "base_url": "http://testserver"},
        teams={"communications": {}, "it": {}},
    )
    settings.database_url = url
    return settings


def build_app(url: str, tmp_path: object, **config: object) -> FastAPI:
    return create_app(
        web_settings(url, tmp_path),
        WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32, **config),  # type: ignore[arg-type]
    )


@pytest.fixture
def seeded(db_url: str) -> Seed:
    return seed_database(db_url)


@pytest.fixture
def app(db_url: str, seeded: Seed, tmp_path) -> FastAPI:
    return build_app(db_url, tmp_path)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A TestClient that signs in and submits forms with the page's CSRF token."""

    def __init__(self, app: FastAPI) -> None:
        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/login")
        self.csrf = csrf_of(page.text)
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.csrf}
        )
        if response.status_code == 303:
            self.refresh_csrf()  # the session, and its token, are new after sign-in
        return response

    def refresh_csrf(self) -> str:
        page = self.client.get("/login")
        self.csrf = csrf_of(page.text)
        return self.csrf

    def post(self, url: str, data: dict[str, str] | None = None, **kw):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kw)

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Browser]:
    b = Browser(app)
    yield b
    b.client.close()
