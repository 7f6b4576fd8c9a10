"""The web UI through HTTP: roles, CSRF, review write-back, escaping, self-confirmation."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

from fastapi.testclient import TestClient
from sqlmodel import select

from store.db import session_scope
from store.models import Alumnus, AuditEvent, Suggestion, Suppression
from tests.web.conftest import PASSWORD, SECRET, Browser, build_app, csrf_of
from web.links import make_token, self_confirmation_link


def test_login_required_and_wrong_password(browser: Browser) -> None:
    r = browser.get("/review")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert browser.login("officer", "not the password").status_code == 401
    assert browser.login("officer").status_code == 303


def test_session_cookie_flags(db_url, seeded, tmp_path) -> None:
    from tests.web.conftest import web_settings
    from web.app import WebConfig, create_app

    settings = web_settings(db_url, tmp_path)
    settings.web.secure_cookies = True
    client = TestClient(
        create_app(settings, WebConfig(secret_key=SECRET)), base_url="https://testserver"
    )
    cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_post_without_csrf_is_refused(browser: Browser, seeded) -> None:
    browser.login("officer")
    r = browser.client.post(f"/review/{seeded.high}/accept", data={})
    assert r.status_code == 403
    r = browser.client.post(f"/review/{seeded.high}/accept", data={"csrf_token": "forged" * 8})
    assert r.status_code == 403
    # the login form is protected too (login CSRF)
    fresh = TestClient(browser.client.app, follow_redirects=False)
    r = fresh.post("/login", data={"username": "officer", "password": PASSWORD})
    assert r.status_code == 403
    # and the header form works for htmx-style requests
    r = browser.client.post(
        f"/review/{seeded.high}/snooze", data={"days": "3"}, headers={"X-CSRF-Token": browser.csrf}
    )
    assert r.status_code == 303


def test_roles(app, seeded) -> None:
    cm = Browser(app)
    cm.login("cm")
    for url in (
        "/review",
        "/alumni",
        f"/alumni/{seeded.alumnus}",
        "/exports/accepted-changes.csv",
        "/reports",
    ):
        assert cm.get(url).status_code == 403, url
    assert cm.post(f"/review/{seeded.high}/accept").status_code == 403
    assert cm.get("/alerts").status_code == 200
    assert cm.get("/mentions").status_code == 200
    comms = Browser(app)
    comms.login("comms")
    assert comms.get("/alumni").status_code == 403
    assert comms.get("/alerts").status_code == 403
    assert comms.get("/reports").status_code == 200
    officer = Browser(app)
    officer.login("officer")
    assert officer.get("/alerts").status_code == 403
    assert officer.get("/mentions").status_code == 403
    assert officer.get("/review").status_code == 200
    # navigation shows only what the role may open
    page = cm.get("/alerts").text
    assert 'href="/alerts"' in page and 'href="/review"' not in page


def test_accept_audit_undo_through_ui(browser: Browser, seeded, db_url) -> None:
    browser.login("officer")
    inbox = browser.get("/review").text
    assert "New Corp" in inbox and "Old Corp" in inbox
    assert "annuaire.example.org/claire-martin" in inbox and "+6,2" in inbox
    assert "−0,3" in inbox and "-0,0" not in inbox  # a minus sign, and no signed zero
    r = browser.post(f"/review/{seeded.high}/accept")
    assert r.status_code == 303
    page = browser.get(f"/alumni/{seeded.alumnus}").text
    assert 'data-field="employer">New Corp' in page
    with session_scope(db_url) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.suggestion_id == seeded.high)).one()
        assert (event.actor, event.old_value, event.new_value) == (
            "officer",
            "Old Corp",
            "New Corp",
        )
    assert f'data-audit="{event.id}" data-action="accept"' in page
    assert browser.post(f"/audit/{event.id}/undo").status_code == 303
    page = browser.get(f"/alumni/{seeded.alumnus}").text
    assert 'data-field="employer">Old Corp' in page and 'data-action="undo"' in page
    with session_scope(db_url) as s:
        assert s.get(Suggestion, seeded.high).status == "reverted"


def test_edit_then_accept_reject_and_bulk(browser: Browser, seeded, db_url) -> None:
    browser.login("officer")
    browser.post(f"/review/{seeded.medium}/accept", {"value": "Directrice générale"})
    browser.post(f"/review/{seeded.low_email}/reject")
    page = browser.get("/review/bulk?band=high").text
    assert "2 suggestion(s)" in page  # A-001 employer and A-002 job_title
    # not confirmed: nothing happens
    browser.post("/review/bulk", {"band": "high"})
    with session_scope(db_url) as s:
        assert s.get(Suggestion, seeded.high).status == "pending"
    browser.post("/review/bulk", {"band": "high", "confirm": "yes"})
    with session_scope(db_url) as s:
        a = s.get(Alumnus, seeded.alumnus)
        assert (a.employer, a.job_title, a.emails) == (
            "New Corp",
            "Directrice générale",
            ["claire@old.example"],
        )
        assert s.get(Suggestion, seeded.low_email).status == "rejected"
        assert s.get(Suggestion, seeded.xss_suggestion).status == "accepted"


def test_untrusted_text_is_escaped_everywhere(app, seeded) -> None:
    officer = Browser(app)
    officer.login("officer")
    cm = Browser(app)
    cm.login("cm")
    pages = [
        officer.get("/review").text,
        officer.get("/alumni").text,
        officer.get(f"/alumni/{seeded.xss_alumnus}").text,
        cm.get("/alerts").text,
        cm.get("/mentions").text,
    ]
    for html in pages:
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[2]
    csp = officer.get("/review").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_csv_export_is_formula_neutral(browser: Browser, seeded, db_url) -> None:
    with session_scope(db_url) as s:
        s.get(Suggestion, seeded.medium).new_value = '=HYPERLINK("http://evil")'
    browser.login("officer")
    browser.post(f"/review/{seeded.medium}/accept")
    r = browser.get("/exports/accepted-changes.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["new_value"] == '\'=HYPERLINK("http://evil")'


def test_self_confirmation_flow(app, seeded, db_url) -> None:
    client = TestClient(app, follow_redirects=False)
    link = self_confirmation_link(app.state.settings, seeded.medium, secret_key=SECRET)
    assert link.startswith("http://testserver/confirm/")
    path = link.removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "Directrice" in page.text and "Analyste" in page.text
    r = client.post(
        path,
        data={"choice": "correct", "value": "Directrice R&D", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 200 and "correction" in r.text
    with session_scope(db_url) as s:
        a = s.get(Alumnus, seeded.alumnus)
        assert a.job_title == "Directrice R&D" and a.verified_at is not None
        ev = s.exec(select(AuditEvent).where(AuditEvent.suggestion_id == seeded.medium)).one()
        assert ev.actor == "alumnus-self" and ev.action == "self_confirm"
    assert "déjà" in client.get(path).text.lower()
    # forged and expired links are refused
    assert client.get("/confirm/" + make_token("another key", seeded.high)).status_code == 410
    # opt-out: record flagged, identifiers suppressed, pending suggestions closed
    path2 = "/confirm/" + make_token(SECRET, seeded.high)
    page2 = client.get(path2)
    r = client.post(
        path2,
        data={"choice": "opt_out", "opt_out_confirm": "yes", "csrf_token": csrf_of(page2.text)},
    )
    assert r.status_code == 200
    with session_scope(db_url) as s:
        a = s.get(Alumnus, seeded.alumnus)
        assert a.opt_out and a.opt_out_at is not None
        kinds = {row.kind for row in s.exec(select(Suppression)).all()}
        assert {"name", "email"} <= kinds
        assert s.get(Suggestion, seeded.high).status == "rejected"


def test_expired_link(app, seeded) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from web.keys import derive_key
    from web.links import SALT

    app.state.config.confirm_link_days = 1
    token = URLSafeTimedSerializer(derive_key(SECRET, "links"), salt=SALT).dumps({"s": seeded.high})
    import time as _t

    real = _t.time
    try:
        _t.time = lambda: real() + 3 * 86400  # type: ignore[assignment]
        r = TestClient(app).get(f"/confirm/{token}")
    finally:
        _t.time = real  # type: ignore[assignment]
    assert r.status_code == 410 and "expir" in r.text


def test_alerts_ack_and_assign(app, seeded, db_url) -> None:
    cm = Browser(app)
    cm.login("cm")
    assert cm.post(f"/alerts/{seeded.alert}/assign", {"team": "it"}).status_code == 303
    assert cm.post(f"/alerts/{seeded.alert}/assign", {"team": "nope"}).status_code == 303
    assert cm.post(f"/alerts/{seeded.alert}/ack").status_code == 303
    from store.models import Alert

    with session_scope(db_url) as s:
        alert = s.get(Alert, seeded.alert)
        assert (alert.team, alert.status, alert.acknowledged_by) == ("it", "acknowledged", "cm")


def test_an_alert_goes_to_a_person_with_a_note(app, seeded, db_url) -> None:
    from store.models import Alert

    cm = Browser(app)
    cm.login("cm")
    page = cm.get(f"/alerts/{seeded.alert}").text
    assert 'name="assignee"' in page and '<option value="admin">' in page
    assert '<option value="officer">' not in page  # cannot open alerts: not offered
    note = "Rappeler la DSI <b>avant</b> 14 h"
    form = {"team": "it", "assignee": "admin", "note": note}
    assert cm.post(f"/alerts/{seeded.alert}/assign", form).status_code == 303
    page = cm.get(f"/alerts/{seeded.alert}").text
    assert "Alerte assignée à admin (Informatique)." in page  # the flash names both
    assert "Confiée à <strong>admin</strong> par cm le" in page
    assert "Rappeler la DSI &lt;b&gt;avant&lt;/b&gt; 14 h" in page  # shown as text
    # The alerts list changes the team only: the person and the note stay.
    assert cm.post(f"/alerts/{seeded.alert}/assign", {"team": "hr"}).status_code == 303
    # Someone who may not open alerts is refused, in French, and nothing changes.
    r = cm.post(f"/alerts/{seeded.alert}/assign", {"team": "it", "assignee": "officer"})
    assert r.status_code == 303
    refused = "&#39;officer&#39; n&#39;est pas un compte actif qui traite les alertes"
    assert refused in cm.get("/alerts").text
    with session_scope(db_url) as s:
        alert = s.get(Alert, seeded.alert)
        assert (alert.team, alert.assignee, alert.note) == ("hr", "admin", note)
        assert alert.assigned_by == "cm" and alert.assigned_at is not None


def test_reports_page_without_brand_reports(app, seeded) -> None:
    import importlib.util

    comms = Browser(app)
    comms.login("comms")
    page = comms.get("/reports")
    if importlib.util.find_spec("reports.brand") is None:
        assert "ne sont pas installés" in page.text
        r = comms.post(
            "/reports", {"query": "x", "start": "2026-01-01", "end": "2026-01-31", "fmt": "csv"}
        )
        assert r.status_code == 501
    else:
        assert 'name="fmt"' in page.text


def test_login_throttling(app, seeded) -> None:
    b = Browser(app)
    for _ in range(5):
        assert b.login("officer", "wrong password!").status_code == 401
    assert b.login("officer").status_code == 429  # even the right password waits
    other = Browser(app)
    assert other.login("cm").status_code == 303  # other usernames are unaffected


def test_api_docs_are_offline(app) -> None:
    client = TestClient(app)
    html = client.get("/api/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    assert client.get("/docs").status_code == 404
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/alumni" in spec["paths"] and "HTTPBearer" in json.dumps(spec)


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict, str]]] = []
    generations: ClassVar[list[str]] = []
    fail_first = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_first > 0:
            _Hook.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Hook.received.append((json.loads(body), self.headers["X-Veille-Signature"]))
        _Hook.generations.append(self.headers["X-Veille-Key-Generation"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_delivered_with_retry(db_url, seeded, tmp_path) -> None:
    import hashlib
    import hmac

    from web.keys import KeyRing, current_webhook_secret

    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        app = build_app(db_url, tmp_path, webhook_urls=[url])
        app.state.webhooks.backoff_s = 0.05
        b = Browser(app)
        b.login("officer")
        b.post(f"/review/{seeded.high}/accept")
        assert app.state.webhooks.flush(20)
        assert len(_Hook.received) == 1
        payload, signature = _Hook.received[0]
        assert payload["event"] == "suggestion.accepted" and payload["new_value"] == "New Corp"
        assert payload["alumnus_id"] == seeded.alumnus
        body = json.dumps(payload, ensure_ascii=False, default=str).encode()
        _, secret = current_webhook_secret(db_url, KeyRing(SECRET))
        assert secret.startswith("vwh_") and SECRET not in secret
        assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert _Hook.generations == ["0"]
        app.state.webhooks.close()
    finally:
        server.shutdown()
        _Hook.received.clear()
        _Hook.generations.clear()


def test_impossible_ids_are_client_errors(browser: Browser) -> None:
    browser.login("officer")
    assert browser.post(f"/review/{10**30}/accept").status_code == 400
    assert browser.post("/review/0/reject").status_code == 400
    r = browser.post("/review/999999/accept")
    assert r.status_code == 303  # unknown id: a message, not a crash


def test_health_endpoint_and_jobs_page_show_the_run_log(app, seeded, db_url) -> None:
    from store.runs import finish_run, start_run

    with session_scope(db_url) as s:
        run = start_run(s, "alerts", "2026-11-23T10:00:00+00:00", host="h", pid=1)
        assert run is not None
        finish_run(s, run.id, status="error", error="<b>boom</b>", counts={"alerts": 0})
    client = TestClient(app)
    r = client.get("/health")
    # anonymous: the state only, no run log (error texts, hosts, pids, counts)
    assert r.status_code == 503 and r.json() == {"status": "degraded"}
    cm = Browser(app)
    cm.login("cm")
    assert cm.get("/health").json() == {"status": "degraded"}
    r = client.get("/health", headers={"Authorization": f"Bearer {seeded.tokens['officer']}"})
    assert r.json() == {"status": "degraded"}
    for token in (seeded.tokens["admin"], seeded.read_tokens["admin"]):
        r = client.get("/health", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and r.json()["ok"] is False
        assert "alerts" in r.json()["failing"] and r.json()["status"] == "degraded"

    admin = Browser(app)
    assert admin.login("admin").status_code == 303
    details = admin.get("/health").json()
    assert details["status"] == "degraded" and "alerts" in details["failing"]
    assert "<b>boom</b>" in json.dumps(details)
    page = admin.get("/jobs")
    assert page.status_code == 200
    assert "alerts" in page.text and "&lt;b&gt;boom&lt;/b&gt;" in page.text
    assert cm.get("/jobs").status_code == 403


def test_evidence_weights_read_as_signed_numbers_without_a_signed_zero() -> None:
    """A differing field whose weight rounds to zero read "-0,0", as if it counted against."""
    from web.render import _weight

    assert [_weight(w) for w in (6.23, -2.5, -0.04, 0.04, None)] == [
        "+6,2",
        "−2,5",
        "0,0",
        "0,0",
        "—",
    ]
