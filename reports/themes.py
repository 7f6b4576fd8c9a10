"""Themes of a period: keyphrases scored by class-based TF-IDF (c-TF-IDF).

Why: counting single words gave noise ("10h, 12h30", "1er, 23e"). Here
candidates are phrases of one to three content words that stand next to
each other in a text (no stop word, number, time or punctuation between:
the usual way to approximate noun phrases without a parser), and a
phrase scores high for a period when it is frequent there and rare in the
others (c-TF-IDF as in BERTopic: ``tf(p, c) / words(c) * log(1 + A / f(p))``,
``A`` the average words per period, ``f(p)`` its count over all periods).
Stop words are spaCy's French and English lists plus web noise; every token
with a digit is dropped (times, dates, ordinals, counts).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
from spacy.lang.fr.stop_words import STOP_WORDS as FR_STOP

from reports.text import STOPWORDS as NOISE
from veille.query import fold

#: Folded FR + EN stop words and web noise (``rt``, ``https``...).
STOP = frozenset(fold(w) for w in (*FR_STOP, *EN_STOP)) | NOISE
_CHUNK = re.compile(r"[.,;:!?()\[\]{}\"«»“”…|/\n\r\t–—-]+|\s[-–]\s")
_TOKEN = re.compile(r"[#@]?\w+(?:['’]\w+)*", re.UNICODE)
_ELIDED = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
MAX_WORDS = 3


def _word(token: str) -> str:
    return _ELIDED.sub("", token).lstrip("#@")


def _keep(folded: str) -> bool:
    return len(folded) > 2 and folded not in STOP and not any(c.isdigit() for c in folded)


def phrases(text: str) -> list[tuple[str, str]]:
    """(folded phrase, surface phrase) candidates of a text, 1 to 3 adjacent content words."""
    out: list[tuple[str, str]] = []
    for chunk in _CHUNK.split(text or ""):
        run: list[tuple[str, str]] = []
        for raw in [*_TOKEN.findall(chunk), ""]:
            word = _word(raw)
            folded = fold(word).strip()
            if raw and _keep(folded) and not raw.startswith(("http", "www")):
                run.append((folded, word.lower()))
                continue
            for n in range(1, MAX_WORDS + 1):
                for i in range(len(run) - n + 1):
                    part = run[i : i + n]
                    out.append((" ".join(p[0] for p in part), " ".join(p[1] for p in part)))
            run = []
    return out


def period_themes(
    texts: Mapping[str, Iterable[str]], *, limit: int = 6, exclude: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The top keyphrases of each period (c-TF-IDF against the other periods).

    ``exclude``: words of the query (they are in every matched text, so they
    say nothing about a theme).
    """
    skip = {fold(w) for e in exclude for w in _TOKEN.findall(e)}
    counts: dict[str, Counter[str]] = {}
    docs: dict[str, Counter[str]] = {}
    surface: dict[str, Counter[str]] = {}
    for period, items in texts.items():
        c: Counter[str] = Counter()
        d: Counter[str] = Counter()
        for text in items:
            seen = set()
            for folded, shown in phrases(text):
                if any(w in skip for w in folded.split()):
                    continue
                c[folded] += 1
                seen.add(folded)
                surface.setdefault(folded, Counter())[shown] += 1
            d.update(seen)
        counts[period], docs[period] = c, d
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    words = {p: sum(v for k, v in c.items() if " " not in k) or 1 for p, c in counts.items()}
    avg = sum(words.values()) / max(1, len(words))
    out: dict[str, list[str]] = {}
    for period, c in counts.items():
        n_docs = max(1, sum(1 for _ in texts[period]))
        scored = []
        for phrase, tf in c.items():
            # a theme is shared: at least two texts, unless the period has one or two
            if docs[period][phrase] < 2 and n_docs > 2:
                continue
            length_bonus = 1.0 + 0.5 * phrase.count(" ")
            score = tf / words[period] * math.log(1 + avg / total[phrase]) * length_bonus
            scored.append((score, phrase))
        scored.sort(key=lambda x: (-x[0], x[1]))
        chosen: list[str] = []
        for _score, phrase in scored:
            # a word already inside a chosen phrase (or a phrase around a chosen word) repeats it
            if any(phrase in c_ or c_ in phrase for c_ in chosen):
                continue
            chosen.append(phrase)
            if len(chosen) == limit:
                break
        out[period] = [surface[p].most_common(1)[0][0] for p in chosen]
    return out
