from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from sentiment.stage import sentiment_stage
from store.db import insert_ignore, session_scope
from store.labels import LabelError, add_correction, labelled_examples
from store.mentions_nlp import count_pending_sentiment, pending_for_sentiment
from store.models import LabelledExample, Mention
from veille.config import Settings
from veille.stages import StageContext, pipeline_stage

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")

TEXTS = [
    ("Bravo à toute l'équipe de l'Université Exemple pour cette rentrée !", None),
    ("Terrible queue at the registration office again today, what a mess", None),
    ("Réunion d'information sur les bourses mardi prochain en amphi A", "fr"),
    ("Great lecture by @prof_x this morning https://t.co/abc", None),
    ("", None),
]


def _seed(db_url: str) -> None:
    rows = [
        {
            "platform": "rss",
            "platform_id": f"m{i}",
            "url": f"https://example.org/{i}",
            "title": "Titre seul" if not text else "",
            "text": text,
            "lang": lang,
            "published_at": datetime(2026, 11, 16, 9, tzinfo=UTC),
            "engagement": {},
            "raw": {},
            "provenance": {},
        }
        for i, (text, lang) in enumerate(TEXTS)
    ]
    with session_scope(db_url) as s:
        insert_ignore(s, Mention, rows, ["platform", "platform_id"])


@pytest.fixture
def tagged_settings(settings: Settings, tiny_model_dir: Path) -> Settings:
    settings.sentiment.model_path = str(tiny_model_dir)
    settings.sentiment.backend = "torch"
    return settings


def test_stage_tags_every_pending_mention_once(
    db_url: str, tagged_settings: Settings, tmp_path: Path
):
    _seed(db_url)
    ctx = StageContext(tagged_settings, db_url, tmp_path, options={"chunk": 2})
    assert pipeline_stage("sentiment") is sentiment_stage
    result = sentiment_stage(ctx)
    assert result.counts["tagged"] == len(TEXTS)
    assert sum(result.counts[k] for k in ("negative", "neutral", "positive")) == len(TEXTS)
    with session_scope(db_url) as s:
        mentions = {m.platform_id: m for m in s.exec(select(Mention)).all()}
        assert count_pending_sentiment(s) == 0
        assert pending_for_sentiment(s, 10) == []
    for m in mentions.values():
        assert m.sentiment_label in ("negative", "neutral", "positive")
        assert 0.0 <= (m.sentiment_score or 0) <= 1.0
        assert m.sentiment_model == f"local:{tiny_model_dir_name(tagged_settings)}"
        assert m.sentiment_uncertain == (m.sentiment_score < 0.55)
    assert mentions["m0"].lang == "fr"
    assert mentions["m1"].lang == "en"
    assert mentions["m2"].lang == "fr"  # platform language kept
    # nothing left: a second run is a no-op
    assert sentiment_stage(ctx).counts["tagged"] == 0


def tiny_model_dir_name(settings: Settings) -> str:
    return Path(settings.sentiment.model_path).name


def test_stage_respects_limit(db_url: str, tagged_settings: Settings, tmp_path: Path):
    _seed(db_url)
    ctx = StageContext(tagged_settings, db_url, tmp_path, options={"limit": 3, "chunk": 2})
    assert sentiment_stage(ctx).counts["tagged"] == 3
    with session_scope(db_url) as s:
        assert count_pending_sentiment(s) == 2


def test_correction_updates_mention_and_is_kept_for_training(db_url: str):
    _seed(db_url)
    with session_scope(db_url) as s:
        mid = s.exec(select(Mention.id).where(Mention.platform_id == "m1")).one()
        ex = add_correction(s, mid, "Negative", "cm@univ-exemple.fr")
        assert ex.id is not None
    with session_scope(db_url) as s:
        m = s.get(Mention, mid)
        assert m is not None
        assert (m.sentiment_label, m.sentiment_score, m.sentiment_uncertain) == (
            "negative",
            1.0,
            False,
        )
        assert m.sentiment_model == "human:cm@univ-exemple.fr"
        (stored,) = labelled_examples(s)
        assert (stored.label, stored.mention_id, stored.task) == ("negative", mid, "sentiment")
        assert stored.text.startswith("Terrible queue")
        # a corrected mention is no longer pending for the model
        assert mid not in [p.id for p in pending_for_sentiment(s, 10)]


def test_correction_rejects_unknown_label_and_mention(db_url: str):
    _seed(db_url)
    with session_scope(db_url) as s:
        mid = s.exec(select(Mention.id)).first()
        with pytest.raises(LabelError, match="unknown sentiment label"):
            add_correction(s, mid, "angry", "x")
        with pytest.raises(LabelError, match="no mention"):
            add_correction(s, 10_000, "positive", "x")
    with session_scope(db_url) as s:
        assert s.exec(select(LabelledExample)).all() == []
