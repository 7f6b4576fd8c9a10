"""Did a job change happen? A cheap text classifier run after the trigger lexicon.

Why: the trigger words of a job change ("joined", "rejoint", "élu", "new") are everyday words.
Most posts of a listening feed that hold one tell no job change ("Jay Z joined Instagram",
"si Valls devient 1er ministre…"), and each of them cost a spaCy parse and a pass of the
tagger, which then read roles in it. A logistic regression on word unigrams and bigrams
decides, in microseconds and in pure Python, whether a text that passed the lexicon may
announce a job change; texts it rejects are not read at all (so they cost nothing and produce
no change). Its threshold is set low, for recall: cross-validated by domain on the labelled
sentences it keeps 99.6 % of the job changes (see ``docs/enrichment.md``).

The weights are data (``enrich/data/jobs_gate.tsv``, one ``feature<TAB>weight`` a line,
``# bias`` and ``# threshold`` in the header), written by :mod:`enrich.jobs_gate_train`
from the labelled sentences of ``enrich/data/jobs_train/`` and the dev splits, and from
ordinary posts with a trigger word taken outside the repository (their sources are listed in
the file's header).
"""

from __future__ import annotations

import itertools
import math
import re
from functools import lru_cache
from pathlib import Path

from enrich.jobs_prefilter import fold

GATE = Path(__file__).parent / "data" / "jobs_gate.tsv"

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_TOKEN = re.compile(r"\w+|[?!]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
#: Texts longer than this are also scored sentence by sentence (the best score counts).
SENTENCE_SCORING_CHARS = 300


def features(text: str) -> list[str]:
    """Word unigrams and bigrams of ``text`` folded (URLs, handles and numbers masked)."""
    folded = fold(text)
    folded = _URL.sub(" http ", folded)
    folded = _HANDLE.sub(" user ", folded)
    folded = _DIGITS.sub("0", folded)
    tokens = _TOKEN.findall(folded)
    grams = set(tokens)
    grams.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return sorted(grams)


class Gate:
    """A linear model over binary, L2-normalised features (read with :func:`load_gate`)."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold

    def score(self, text: str) -> float:
        """Probability that ``text`` announces a job change."""
        feats = features(text)
        if not feats:
            return 1.0 / (1.0 + math.exp(-self.bias))
        total = sum(self.weights.get(f, 0.0) for f in feats) / math.sqrt(len(feats))
        z = max(-30.0, min(30.0, total + self.bias))
        return 1.0 / (1.0 + math.exp(-z))

    def best_score(self, text: str) -> float:
        """The score of ``text``, or of its best sentence with a trigger when it is long.

        Why the best sentence: in a long post the one sentence that tells a job change is
        diluted by the others, and a missed change costs the alumni office more than one
        more text read by the extractor. Only sentences with a trigger expression compete:
        the others cannot announce a change.
        """
        from enrich.jobs_prefilter import has_trigger

        best = self.score(text)
        if len(text) > SENTENCE_SCORING_CHARS:
            for piece in _SENTENCE_END.split(text):
                if len(piece) >= 20 and has_trigger(piece):
                    best = max(best, self.score(piece))
        return best

    def accepts(self, text: str) -> bool:
        """Whether ``text`` may announce a job change (then the extractor reads it)."""
        return self.best_score(text) >= self.threshold


def read_gate(path: Path = GATE) -> Gate:
    """The gate of a ``jobs_gate.tsv`` file; a malformed line fails with its number."""
    weights: dict[str, float] = {}
    header: dict[str, float] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        if raw.startswith("#"):
            key, _, value = raw[1:].strip().partition(" ")
            if key in {"bias", "threshold"}:
                header[key] = float(value)
            continue
        feat, sep, value = raw.partition("\t")
        try:
            if not sep:
                raise ValueError
            weights[feat] = float(value)
        except ValueError:
            raise ValueError(f"{path}:{n}: expected 'feature<TAB>weight'") from None
    if set(header) != {"bias", "threshold"}:
        raise ValueError(f"{path}: the header needs '# bias X' and '# threshold X'")
    return Gate(weights, header["bias"], header["threshold"])


@lru_cache(maxsize=1)
def load_gate() -> Gate:
    """The committed gate (read once)."""
    return read_gate()
