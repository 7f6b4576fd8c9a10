"""Did this sentence tell a job change? A learnt yes/no on the sentence of each found change.

Why, after the gate and the vetoes: the word-pair gate (:mod:`enrich.jobs_gate`) stops
chatter, but hard negatives reuse the very trigger words of a job change ("nommé aux
Oscars", "joined the protest", speeches, e-mails, transcripts), and word lists of vetoes
only stop the phrasings someone listed. A sentence embedding reads the whole sentence: a
logistic regression on the mean-pooled e5-small int8 embeddings that veille already installs
(:mod:`sentiment.encoder`, loaded once per process by :func:`enrich.routing.shared_encoder`,
no second model) decides whether the sentence of a change found by the rules or the tagger
announces a move. It runs last, on changes only: ordinary posts that produced nothing are
never embedded, so ``veille tag jobs`` keeps its speed.

The head is data: ``enrich/jobs_change_head/head.npz`` (384 weights and a bias) and
``head.json`` (threshold, encoder name, training manifest: sources, counts, hashes and the
cross-validated curve), written by :mod:`enrich.jobs_change_head_train`. The threshold is
chosen by cross-validation by domain so that nearly every true job change is kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from enrich.jobs.change import JobChangeFound

log = logging.getLogger(__name__)

HEAD_DIR = Path(__file__).parent / "jobs_change_head"
HEAD_WEIGHTS = "head.npz"
HEAD_META = "head.json"
FORMAT = "veille-job-change-head-1"
#: The encoder reads at most this many tokens of a sentence, in training as in use.
MAX_TOKENS = 128


@dataclass(frozen=True)
class ChangeHead:
    """Binary logistic regression ``sigmoid(x @ weight + bias)`` on unit e5 embeddings."""

    weight: np.ndarray  # (dim,)
    bias: float
    threshold: float
    meta: dict[str, Any]

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Probability that each embedded sentence (rows of ``x``) tells a job change."""
        z = np.asarray(x, dtype=np.float32) @ self.weight + self.bias
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out

    def keeps(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask: the rows scored at or above the threshold."""
        mask: np.ndarray = self.proba(x) >= self.threshold
        return mask

    def save(self, folder: Path) -> None:
        """Write ``head.npz`` and ``head.json`` (the threshold lives in the JSON, as data)."""
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / HEAD_WEIGHTS,
            weight=self.weight.astype(np.float32),
            bias=np.asarray([self.bias], dtype=np.float32),
        )
        meta = {**self.meta, "format": FORMAT, "threshold": self.threshold}
        (folder / HEAD_META).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_change_head(folder: Path = HEAD_DIR) -> ChangeHead:
    """Read a head written by :meth:`ChangeHead.save`."""
    from veille.errors import ModelUnavailableError

    try:
        meta = json.loads((folder / HEAD_META).read_text(encoding="utf-8"))
        with np.load(folder / HEAD_WEIGHTS) as data:
            weight = np.asarray(data["weight"], dtype=np.float32).reshape(-1)
            bias = float(np.asarray(data["bias"]).reshape(-1)[0])
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise ModelUnavailableError(
            f"the job-change head in {folder} cannot be read ({exc}): reinstall veille or "
            "retrain it with `python -m enrich.jobs_change_head_train`"
        ) from exc
    if meta.get("format") != FORMAT:
        raise ModelUnavailableError(f"{folder} is not a job-change head of format {FORMAT}")
    return ChangeHead(weight, bias, float(meta["threshold"]), meta)


@lru_cache(maxsize=1)
def shipped_head() -> ChangeHead:
    """The committed head, read once per process."""
    return load_change_head()


def keep_told_changes(
    found: Sequence[list[JobChangeFound]],
    *,
    head: ChangeHead | None = None,
    encoder: Any = None,
) -> list[list[JobChangeFound]]:
    """Drop the changes whose sentence the head says tells no job change.

    Only the distinct sentences of found changes are embedded, each alone, so a text without
    a change costs nothing and a change does not depend on the texts read with it. ``head``
    and ``encoder`` default to the shipped head and the shared e5-small encoder (tests pass
    their own).
    """
    sentences = sorted({jc.sentence or "" for changes in found for jc in changes})
    if not sentences:
        return [list(changes) for changes in found]
    if head is None:
        head = shipped_head()
    if encoder is None:
        from enrich.routing import shared_encoder

        encoder = shared_encoder()
    # The int8 encoder reads each sentence alone (sentiment.encoder.Encoder): embedded in one
    # padded batch, a sentence's score moved with the sentences beside it (0.11 to 0.15
    # around the 0.14 threshold, for one hard negative) and a change could appear or not
    # depending on the other texts of the input.
    x = encoder.embed(sentences, max_length=MAX_TOKENS)
    scores = dict(zip(sentences, head.proba(x).tolist(), strict=True))
    out: list[list[JobChangeFound]] = []
    for changes in found:
        kept = []
        for jc in changes:
            score = scores[jc.sentence or ""]
            if score >= head.threshold:
                kept.append(jc)
            else:
                log.debug("job change dropped by the head (%.3f): %r", score, jc.sentence)
        out.append(kept)
    return out
