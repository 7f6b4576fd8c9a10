"""Spike detection on a real database: a burst alerts once, steady traffic never."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from reports.alerts import detect, negative_share_test, volume_test
from store.db import session_scope
from store.models import Alert
from tests.reports.conftest import add_mentions, mention

NOW = datetime(2026, 11, 20, 14, 20, tzinfo=UTC)
HOUR = NOW.replace(minute=0)  # end of the last full hour


def steady(hours: int, per_hour: int, negative_every: int = 10, seed: int = 1) -> list[dict]:
    """Constant traffic: ``per_hour`` mentions each hour, one in ``negative_every`` negative."""
    rnd = random.Random(seed)
    rows = []
    for h in range(hours, 0, -1):
        start = HOUR - timedelta(hours=h)
        for i in range(per_hour):
            label = "negative" if i % negative_every == 0 else rnd.choice(["neutral", "positive"])
            rows.append(
                mention(start + timedelta(minutes=rnd.randrange(60)), sentiment_label=label)
            )
    return rows


def test_volume_and_share_tests_are_explained() -> None:
    t = volume_test([20] * 12 + [60], sigma=3, min_volume=10)
    assert t.fired and t.baseline == 20 and t.sd == pytest.approx(20**0.5)
    assert not volume_test([20] * 12 + [25], sigma=3, min_volume=10).fired
    assert not volume_test([0] * 12 + [5], sigma=3, min_volume=10).fired  # under min volume
    share = negative_share_test([20] * 13, [2] * 12 + [15], sigma=3, min_volume=10)
    assert share.fired and share.observed == pytest.approx(0.75)


def test_steady_traffic_raises_nothing(db_url, settings) -> None:
    add_mentions(db_url, settings, steady(16, 20))
    assert detect(settings, db_url, now=NOW) == []
    with session_scope(db_url) as s:
        assert s.exec(select(Alert)).all() == []


def test_negative_burst_raises_exactly_one_explained_alert(db_url, settings) -> None:
    add_mentions(db_url, settings, steady(16, 20))
    burst_texts = [
        "Les inscriptions sont bloquées, dossier perdu, personne ne répond",
        "Inscriptions impossibles depuis deux jours, honteux",
        "Dossier d'inscriptions perdu encore une fois",
    ]
    burst = [
        mention(
            HOUR - timedelta(minutes=50 - i % 45),
            sentiment_label="negative",
            text=burst_texts[i % 3],
            platform="twitter",
        )
        for i in range(45)
    ]
    add_mentions(db_url, settings, burst)

    new = detect(settings, db_url, now=NOW)
    assert len(new) == 1
    with session_scope(db_url) as s:
        alerts = s.exec(select(Alert)).all()
    assert len(alerts) == 1
    a = alerts[0]
    assert a.rule == "negative_share"
    assert a.severity == "critical"  # volume fired too, merged into this alert
    assert set(a.details["rules_fired"]) == {"negative_share", "volume_spike"}
    assert a.baseline == pytest.approx(0.1, abs=0.02)
    assert a.observed > 0.5 and a.sigma is not None and a.sigma >= 3
    assert a.details["threshold_sigma"] == 3.0
    assert "base" in a.title and "seuil 3 σ" in a.title and "z =" in a.title
    # the title reads the catalogue's words and French numbers ("10,0 %", not "10.0 %")
    assert a.title.startswith("Pic de mentions négatives — ") and "(réseaux sociaux) : " in a.title
    assert re.search(r"observé \d+,\d\xa0%", a.title), a.title
    vol = next(t for t in a.details["tests"] if t["rule"] == "volume_spike")
    assert vol["baseline"] == pytest.approx(20.0, abs=0.01) and vol["observed"] == 65
    terms = [t for t, _ in a.details["top_terms"]]
    assert "inscriptions" in terms[:3]
    assert a.details["top_sources"][0][0] == "twitter"
    assert len(a.details["sample_mention_ids"]) == 5
    assert a.window_end == HOUR and a.window_start == HOUR - timedelta(hours=1)

    # Re-running the check in the same window creates nothing new.
    assert detect(settings, db_url, now=NOW + timedelta(minutes=20)) == []
    with session_scope(db_url) as s:
        assert len(s.exec(select(Alert)).all()) == 1


def test_news_spike_uses_daily_baseline_once_per_episode(db_url, settings) -> None:
    rows = []
    for d in range(15, 0, -1):
        for i in range(4):
            rows.append(
                mention(
                    HOUR - timedelta(days=d, hours=i + 1),
                    platform="rss",
                    url=f"https://presse.example/{d}/{i}",
                )
            )
    rows += [
        mention(
            HOUR - timedelta(hours=2 + i % 20),
            platform="rss",
            url=f"https://journal.example/a{i}",
            title="Classement : l'université recule",
            text="Classement publié",
        )
        for i in range(30)
    ]
    add_mentions(db_url, settings, rows)
    new = detect(settings, db_url, now=NOW)
    assert [a["rule"] for a in new] == ["volume_spike"]
    assert new[0]["details"]["channel"] == "news"
    assert new[0]["details"]["top_sources"][0] == ("journal.example", 30)
    # An hour later the same 24-hour episode is still elevated: no second alert.
    assert detect(settings, db_url, now=NOW + timedelta(hours=1)) == []


def test_crisis_keywords_and_high_reach_negative(db_url, settings) -> None:
    add_mentions(
        db_url,
        settings,
        [
            mention(HOUR - timedelta(minutes=30), text="Incendie dans le bâtiment B, évacuation"),
            mention(HOUR - timedelta(minutes=20), text="Data breach reported at the university"),
            mention(
                HOUR - timedelta(hours=3),
                text="Très déçu par l'accueil",
                sentiment_label="negative",
                reach=50_000,
            ),
        ],
    )
    new = detect(settings, db_url, now=NOW)
    rules = sorted(a["rule"] for a in new)
    assert rules == ["crisis_keywords", "high_reach_negative"]
    crisis = next(a for a in new if a["rule"] == "crisis_keywords")
    kws = {k for k, _ in crisis["details"]["keywords"]}
    assert {"incendie", "évacuation", "data breach"} <= kws
    reach = next(a for a in new if a["rule"] == "high_reach_negative")
    assert reach["observed"] == 50_000 and reach["baseline"] == 10_000
    assert detect(settings, db_url, now=NOW) == []


def test_crisis_keywords_come_from_veille_toml_when_set(db_url, settings) -> None:
    settings.alerts.crisis_keywords = ["grève", '"blocus du campus"']
    add_mentions(
        db_url,
        settings,
        [
            mention(HOUR - timedelta(minutes=30), text="Incendie dans le bâtiment B"),
            mention(HOUR - timedelta(minutes=20), text="Blocus du campus ce matin, grève votée"),
        ],
    )
    [alert] = detect(settings, db_url, now=NOW)
    assert alert["rule"] == "crisis_keywords"
    assert alert["observed"] == 1  # "incendie" is no longer on the list
    assert {k for k, _ in alert["details"]["keywords"]} == {"grève", "blocus du campus"}
