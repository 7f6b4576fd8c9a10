"""Pure batch tagging: texts in, language + sentiment out, no database.

Used by the pipeline stage, ``veille tag sentiment`` and the web UI; the
model is loaded once per process (per settings) and reused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sentiment.data import LABELS
from sentiment.langid import detect_languages
from sentiment.model import SentimentClassifier, load_classifier
from veille.config import SentimentSettings

DEFAULT_UNCERTAIN_BELOW = 0.55


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one text; ``score`` is the probability of ``label``."""

    label: str
    score: float
    uncertain: bool
    lang: str | None
    model: str
    probabilities: dict[str, float]

    def as_json(self) -> dict[str, object]:
        """The ``"sentiment"`` object of the batch contract."""
        return {"label": self.label, "score": round(self.score, 6)}


_CACHE: dict[str, SentimentClassifier] = {}
_LOCK = threading.Lock()


def get_classifier(settings: SentimentSettings | None = None) -> SentimentClassifier:
    """Load (once per settings) the classifier."""
    settings = settings or SentimentSettings()
    key = settings.model_dump_json()
    with _LOCK:
        clf = _CACHE.get(key)
        if clf is None:
            clf = load_classifier(settings)
            _CACHE[key] = clf
        return clf


def tag_texts(
    texts: Sequence[str],
    *,
    classifier: SentimentClassifier | None = None,
    settings: SentimentSettings | None = None,
    uncertain_below: float = DEFAULT_UNCERTAIN_BELOW,
    langs: Sequence[str | None] | None = None,
) -> list[SentimentResult]:
    """Language and sentiment of each text, in order.

    ``langs`` lets callers keep a language they already know (platform
    metadata); missing ones are detected.
    """
    if not texts:
        return []
    clf = classifier or get_classifier(settings)
    probs = clf.predict_proba(texts)
    detected = detect_languages(texts)
    known = list(langs) if langs is not None else [None] * len(texts)
    out: list[SentimentResult] = []
    for row, lang_known, lang_detected in zip(probs, known, detected, strict=True):
        best = int(row.argmax())
        score = float(row[best])
        out.append(
            SentimentResult(
                label=LABELS[best],
                score=score,
                uncertain=score < uncertain_below,
                lang=lang_known or lang_detected,
                model=clf.name,
                probabilities={name: float(p) for name, p in zip(LABELS, row, strict=True)},
            )
        )
    return out
