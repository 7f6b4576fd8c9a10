"""A character n-gram head on the routed text itself, beside the embedding head.

Why: the sentence encoder reads only the first 64 tokens of a text (32 until round 11; the
speed goal), and a 384-dimensional sentence embedding blurs the domain words that decide a team
("soutenance", "bourse", "VPN", "CDD", "Erasmus"). Character 2- to 5-grams inside words,
of the lower-cased text without accents, catch those words and their inflections in both
languages, over the whole text. In grouped cross-validation over the training data (round
10, docs/routing.md), multiplying the embedding head's probabilities by this head's,
raised to a weight, raised accuracy on the news, posts and service-page lines of the kind
veille routes by about four points, French ones included.

It is trained only on texts the repository holds (``enrich/data/routing/train/``) and on
the corrections made in the web UI, so ``veille route train`` can always refit it; the
chatbot and helpdesk sources that ship only as vectors stay with the embedding head. Its
weight in the product (``text_weight`` in ``head.json``; 0 = not used) is chosen by the
same grouped cross-validation as the embedding head's ``C``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TEXT_HEAD_FILE = "text_head.npz"
#: Longer texts are cut here: the decisive words come early, and cost grows with length.
MAX_CHARS = 1000
#: Regularisation of the text head's logistic regression (not tuned: fixed before the CV).
TEXT_C = 4.0
VECTORIZER: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
    "strip_accents": "unicode",
    "lowercase": True,
    "dtype": np.float32,
}
#: At most this many n-grams (the most frequent ones seen at least twice).
MAX_FEATURES = 50_000


@dataclass
class TextHead:
    """TF-IDF character n-grams -> multinomial logistic regression over ``classes``."""

    classes: list[str]
    terms: list[str]
    idf: np.ndarray  # (n_terms,)
    weight: np.ndarray  # (n_classes, n_terms)
    bias: np.ndarray  # (n_classes,)
    _vectorizer: Any = field(default=None, repr=False)

    def vectorizer(self) -> Any:
        """The fitted vectorizer, rebuilt from the stored terms and IDF (no pickle)."""
        if self._vectorizer is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vec = TfidfVectorizer(**VECTORIZER, vocabulary={t: i for i, t in enumerate(self.terms)})
            vec.idf_ = self.idf
            self._vectorizer = vec
        return self._vectorizer

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        from enrich.routing_model import softmax

        feats = self.vectorizer().transform([t[:MAX_CHARS] for t in texts])
        logits = np.asarray(feats @ self.weight.T) + self.bias
        return softmax(logits.astype(np.float32))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / TEXT_HEAD_FILE,
            classes=np.array(self.classes),
            terms=np.array(self.terms),
            idf=self.idf.astype(np.float32),
            weight=self.weight.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )


def load_text_head(folder: Path) -> TextHead | None:
    """The text head saved beside a routing head, or None when that head has none."""
    path = folder / TEXT_HEAD_FILE
    if not path.exists():
        return None
    from veille.errors import ModelUnavailableError

    try:
        with np.load(path) as data:
            head = TextHead(
                [str(c) for c in data["classes"]],
                [str(t) for t in data["terms"]],
                np.asarray(data["idf"], dtype=np.float32),
                np.asarray(data["weight"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the routing text head {path} cannot be read ({exc}): retrain it with "
            "`veille route train`"
        ) from exc
    if head.weight.shape != (len(head.classes), len(head.terms)):
        raise ModelUnavailableError(f"{path} is inconsistent: retrain it with `veille route train`")
    return head


def fit_text_head(
    texts: Sequence[str],
    labels: Sequence[str],
    weights: np.ndarray | None = None,
    c: float = TEXT_C,
) -> TextHead:
    """Fit the vectorizer and the regression (balanced classes, sample weights kept)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from enrich.routing_model import fit_softmax

    vec = TfidfVectorizer(**VECTORIZER, min_df=2, max_features=MAX_FEATURES)
    feats = vec.fit_transform([t[:MAX_CHARS] for t in texts])
    classes, w, b = fit_softmax(feats, labels, c=c, weights=weights)
    terms = [str(t) for t in vec.get_feature_names_out()]
    return TextHead(classes, terms, np.asarray(vec.idf_, dtype=np.float32), w, b)


def mix(
    probs: np.ndarray,
    classes: Sequence[str],
    text_probs: np.ndarray,
    text_classes: Sequence[str],
    weight: float,
) -> np.ndarray:
    """``probs * text_probs ** weight``, renormalised (a product of experts).

    A class the text head never saw gets a neutral factor (the row's mean of the
    others); rows of ``probs`` that are all zero (not scored) stay zero.
    """
    if not weight:
        return probs
    column = {c: i for i, c in enumerate(text_classes)}
    factor = np.empty_like(probs)
    mean = text_probs.mean(axis=1)
    for j, c in enumerate(classes):
        factor[:, j] = text_probs[:, column[c]] if c in column else mean
    mixed = probs * np.maximum(factor, 1e-30) ** weight
    total = mixed.sum(axis=1, keepdims=True)
    out: np.ndarray = np.where(total > 0, mixed / np.maximum(total, 1e-30), 0.0)
    return out.astype(np.float32)
