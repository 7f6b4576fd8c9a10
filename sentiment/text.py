"""Tweet normalisation shared by training, evaluation and tagging.

The UMSAB/TweetEval authors (Barbieri et al.) replace user handles by
``@user`` and links by ``http`` before training; the model only ever saw
that form, so inference must apply exactly the same rewrite.
"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")


def normalise_tweet(text: str) -> str:
    """``@handle`` -> ``@user``, ``http...`` -> ``http``, collapse whitespace.

    Same rule as cardiffnlp's ``preprocess`` (token-wise, on whitespace).
    """
    words = []
    for word in _WS.split(text.strip()):
        if not word:
            continue
        if word.startswith("@") and len(word) > 1:
            word = "@user"
        elif word.startswith("http"):
            word = "http"
        words.append(word)
    return " ".join(words)
