"""The trained routing head: a linear layer on e5-small sentence embeddings.

Why a linear head and not fine-tuning: the encoder is the one sentiment
already installs (:mod:`sentiment.encoder`), so routing adds a few
kilobytes to the repository (``enrich/routing_head/head.npz``), trains in
seconds from cached embeddings, and retrains on the spot when community
managers correct a team (``veille route train``).

Teams the head has no examples of (a new ``[teams.x]``, or ``research``,
for which the public training data has none) are scored against their
prototype: the mean embedding of their description(s) and example texts.
A softmax over the cosine similarities of all team prototypes decides how
much probability goes to those teams; the head shares out the rest.

The same prototypes also act as a prior on the head's own teams
(``proto_weight`` in ``head.json``, chosen by grouped cross-validation):
the head learnt from a handful of chatbots and helpdesks, and the team
descriptions say what each team does whatever the source's phrasing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from enrich.routing_text_head import TextHead

HEAD_DIR = Path(__file__).parent / "routing_head"
#: Where ``veille route train`` writes a retrained head (the package may be read-only).
TRAINED_FOLDER = "routing-head"
HEAD_WEIGHTS = "head.npz"
HEAD_META = "head.json"
FORMAT = "veille-routing-head-1"


@dataclass
class Head:
    """Multinomial logistic regression: ``softmax(x @ W.T + b)`` over ``classes``."""

    classes: list[str]
    weight: np.ndarray  # (n_classes, dim)
    bias: np.ndarray  # (n_classes,)
    meta: dict[str, Any]
    #: The character n-gram head on the texts (``enrich/routing_text_head.py``), if any.
    text_head: TextHead | None = field(default=None, repr=False)

    @property
    def threshold(self) -> float:
        """Below this top probability a route goes to triage (calibrated on validation)."""
        return float(self.meta.get("threshold", 0.5))

    @property
    def temperature(self) -> float:
        """Softmax temperature of the prototype similarities (fitted on training sources)."""
        return float(self.meta.get("proto_temperature", 0.02))

    @property
    def proto_weight(self) -> float:
        """Exponent of the prototype prior on the head's teams (0: the head alone)."""
        return float(self.meta.get("proto_weight", 0.0))

    @property
    def text_weight(self) -> float:
        """Exponent of the text head's probabilities in the product (0: not used)."""
        return float(self.meta.get("text_weight", 0.0)) if self.text_head is not None else 0.0

    def predict_proba(self, x: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities; with ``texts``, mixed with the text head's (if it has one)."""
        probs = softmax(x @ self.weight.T + self.bias)
        if texts is None or self.text_head is None or not self.text_weight:
            return probs
        from enrich.routing_text_head import mix

        return mix(
            probs,
            self.classes,
            self.text_head.predict_proba(texts),
            self.text_head.classes,
            self.text_weight,
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / HEAD_WEIGHTS,
            weight=self.weight.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )
        meta = {**self.meta, "format": FORMAT, "classes": self.classes}
        from enrich.routing_text_head import TEXT_HEAD_FILE

        if self.text_head is not None:
            self.text_head.save(folder)
        elif (folder / TEXT_HEAD_FILE).exists():
            (folder / TEXT_HEAD_FILE).unlink()  # a stale one would be mixed in
        (folder / HEAD_META).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def trained_head_dir() -> Path:
    """The locally retrained head's folder, in veille's model cache."""
    from sentiment.model import cache_root

    return cache_root() / TRAINED_FOLDER


def active_head_dir() -> Path:
    """The head routing uses: the locally retrained one if any, else the shipped one."""
    local = trained_head_dir()
    return local if (local / HEAD_META).exists() else HEAD_DIR


def load_head(folder: Path = HEAD_DIR) -> Head:
    """Read a head written by :meth:`Head.save` (weights + JSON metadata)."""
    from veille.errors import ModelUnavailableError

    try:
        meta = json.loads((folder / HEAD_META).read_text(encoding="utf-8"))
        with np.load(folder / HEAD_WEIGHTS) as data:
            weight = np.asarray(data["weight"], dtype=np.float32)
            bias = np.asarray(data["bias"], dtype=np.float32)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the routing head in {folder} cannot be read ({exc}): reinstall veille "
            "or retrain it with `veille route train`"
        ) from exc
    if meta.get("format") != FORMAT or weight.shape[0] != len(meta.get("classes", [])):
        raise ModelUnavailableError(
            f"{folder} is not a routing head of format {FORMAT}: retrain it with "
            "`veille route train`"
        )
    from enrich.routing_text_head import load_text_head

    return Head(list(meta["classes"]), weight, bias, meta, load_text_head(folder))


def fit_head(
    x: np.ndarray,
    labels: Sequence[str],
    *,
    c: float = 1.0,
    weights: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
) -> Head:
    """Fit the head (scikit-learn's multinomial logistic regression, balanced classes)."""
    classes, w, b = fit_softmax(x, labels, c=c, weights=weights)
    return Head(classes, w, b, dict(meta or {}, C=c))


def fit_softmax(
    x: Any, labels: Sequence[str], *, c: float, weights: np.ndarray | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(classes, W, b)`` of a balanced multinomial logistic regression, as softmax rows.

    One fit for both routing heads (dense embeddings, sparse n-grams). A binary problem
    stores one row in scikit-learn; it is expanded to two, so that ``softmax(x @ W.T + b)``
    always holds.
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    with threadpool_limits(limits=1):
        clf.fit(x, list(labels), sample_weight=weights)
    classes = [str(k) for k in clf.classes_]
    w = np.asarray(clf.coef_, dtype=np.float32)
    b = np.asarray(clf.intercept_, dtype=np.float32)
    if len(classes) == 2:
        w = np.vstack([-w[0] / 2, w[0] / 2])
        b = np.array([-b[0] / 2, b[0] / 2], dtype=np.float32)
    return classes, w, b


def prototypes(encoder: Any, teams: Mapping[str, Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """One unit vector per team: the mean embedding of its description(s) and examples."""
    names = [n for n, texts in teams.items() if any(t.strip() for t in texts)]
    out = np.zeros((len(names), 0), dtype=np.float32)
    rows = []
    for name in names:
        emb = encoder.embed([t for t in teams[name] if t.strip()])
        v = emb.mean(axis=0)
        rows.append(v / max(float(np.linalg.norm(v)), 1e-12))
    if rows:
        out = np.vstack(rows).astype(np.float32)
    return names, out


def combine(
    head_probs: np.ndarray,
    head_teams: Sequence[str],
    sims: np.ndarray,
    proto_teams: Sequence[str],
    temperature: float,
    proto_weight: float = 0.0,
) -> tuple[list[str], np.ndarray]:
    """Probabilities over every routable team (head teams + prototype-only teams).

    ``head_probs`` columns are the active head classes (already renamed and
    without dropped ones); ``sims`` are cosine similarities to the prototypes
    of ``proto_teams`` (every active team that has one). Prototype-only teams
    take their zero-shot probability; head teams share out the remaining mass
    in the head's proportions, each weighted by its own zero-shot probability
    raised to ``proto_weight`` (a product of experts; 0 leaves the head alone).
    """
    teams = list(head_teams) + [t for t in proto_teams if t not in head_teams]
    n = head_probs.shape[0] if head_probs.size else sims.shape[0]
    out = np.zeros((n, len(teams)), dtype=np.float32)
    extra = [i for i, t in enumerate(proto_teams) if t not in head_teams]
    zs = softmax(sims / temperature) if sims.size and (extra or proto_weight) else None
    if extra and zs is not None:
        extra_mass = zs[:, extra]
        out[:, len(head_teams) :] = extra_mass
        rest = 1.0 - extra_mass.sum(axis=1, keepdims=True)
    else:
        rest = np.ones((n, 1), dtype=np.float32)
    if head_teams:
        hp = head_probs
        if proto_weight and zs is not None:
            prior = np.ones_like(hp)
            column = {t: i for i, t in enumerate(proto_teams)}
            for j, team in enumerate(head_teams):
                if team in column:
                    prior[:, j] = zs[:, column[team]] ** proto_weight
            hp = hp * np.maximum(prior, 1e-30)
        hp = hp / np.maximum(hp.sum(axis=1, keepdims=True), 1e-30)
        out[:, : len(head_teams)] = hp * rest
    elif extra:
        out = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    return teams, out
