"""Route every mention and alert to the team that should act on it.

Two layers, so requests reach the right service without ping-pong:

1. **Rules**: each configured team's ``keywords`` (``[teams.<name>]``), matched
   with veille's query language semantics (accents, case and French elisions
   ignored; ``"mot de passe"`` is a phrase, ``diplôm*`` a prefix). The team
   with the most matching keywords wins; ties go to the team listed first.
2. **Classifier** for texts no rule catches: TF-IDF on words and character
   n-grams (robust to FR/EN morphology and typos) + logistic regression,
   trained at first use from the synthetic seed set shipped in
   ``enrich/data/routing_seed.jsonl``. Only configured team names can come
   out; below :data:`MIN_CONFIDENCE` the mention goes to ``communications``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from veille.config import Settings
from veille.errors import ConfigError
from veille.query import Document, Query, QuerySyntaxError, fold, parse
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

SEED_PATH = Path(__file__).parent / "data" / "routing_seed.jsonl"
FALLBACK_TEAM = "communications"
#: Below this probability the classifier's guess is not trusted.
MIN_CONFIDENCE = 0.3
MODEL_VERSION = "routing-tfidf-lr-1"


@dataclass(frozen=True)
class Route:
    """Where a text goes and why (rule keywords, or classifier probability)."""

    team: str
    method: str  # rule | classifier | fallback
    score: float = 1.0
    keywords: tuple[str, ...] = field(default_factory=tuple)


def keyword_query(keyword: str) -> Query:
    """One configured keyword as a query: a phrase, or a prefix when it ends with ``*``."""
    kw = " ".join(keyword.replace('"', " ").split())
    if not kw:
        raise ConfigError("team keywords cannot be empty strings")
    text = kw if (kw.endswith("*") and " " not in kw) else f'"{kw}"'
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise ConfigError(f"team keyword {keyword!r} cannot be used: {exc}") from exc


@lru_cache(maxsize=4)
def _train(seed_path: str) -> Any:
    """Fit the seed classifier once per process (a few hundred lines: well under a second)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from threadpoolctl import threadpool_limits

    texts: list[str] = []
    labels: list[str] = []
    with Path(seed_path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                texts.append(str(row["text"]))
                labels.append(str(row["team"]))
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=fold, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
                ),
            ),
        ]
    )
    model = Pipeline([("features", features), ("clf", LogisticRegression(C=10, max_iter=2000))])
    # One BLAS thread: the problem is tiny, and oversubscribed threads on a
    # busy host make lbfgs 20x slower.
    with threadpool_limits(limits=1):
        model.fit(texts, labels)
    log.debug("routing classifier trained on %d seed examples", len(texts))
    return model


class Router:
    """Rules from the settings, then the classifier; built once per run."""

    def __init__(self, settings: Settings, seed_path: Path = SEED_PATH) -> None:
        self.teams = list(settings.teams)
        self.rules: list[tuple[str, list[tuple[str, Query]]]] = [
            (name, [(kw, keyword_query(kw)) for kw in team.keywords])
            for name, team in settings.teams.items()
        ]
        self.seed_path = seed_path
        self.fallback = FALLBACK_TEAM

    def _by_rules(self, doc: Document) -> Route | None:
        best: Route | None = None
        for name, rules in self.rules:
            hits = tuple(kw for kw, query in rules if query.matches_document(doc))
            if hits and (best is None or len(hits) > len(best.keywords)):
                best = Route(name, "rule", 1.0, hits)
        return best

    def route_many(self, texts: list[str]) -> list[Route]:
        """Route a batch (the classifier scores all rule-less texts at once)."""
        routes: list[Route | None] = [self._by_rules(Document.of(t)) for t in texts]
        pending = [i for i, r in enumerate(routes) if r is None and texts[i].strip()]
        allowed = set(self.teams) if self.teams else {self.fallback}
        if pending:
            model = _train(str(self.seed_path))
            classes = list(model.classes_)
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1):
                probas = model.predict_proba([texts[i] for i in pending])
            for i, row in zip(pending, probas, strict=True):
                ranked = sorted(
                    ((float(p), c) for p, c in zip(row, classes, strict=True) if c in allowed),
                    reverse=True,
                )
                if ranked and ranked[0][0] >= MIN_CONFIDENCE:
                    routes[i] = Route(str(ranked[0][1]), "classifier", round(ranked[0][0], 3))
        return [r or Route(self.fallback, "fallback", 0.0) for r in routes]

    def route(self, text: str) -> Route:
        return self.route_many([text])[0]


def mention_text(row: dict[str, Any]) -> str:
    """What routing reads: title and text together."""
    return " ".join(str(row.get(k) or "") for k in ("title", "text")).strip()


def routing_stage(ctx: StageContext) -> StageResult:
    """Pipeline stage: give a team to every mention that has none yet."""
    from store import report_queries as q
    from store.db import session_scope

    router = Router(ctx.settings)
    batch = int(ctx.options.get("batch_size", 1000))
    counts: dict[str, int] = {"routed": 0, "rule": 0, "classifier": 0, "fallback": 0}
    after = 0
    while True:
        with session_scope(ctx.db_url) as s:
            rows = q.unrouted_mentions(s, batch, after)
            if not rows:
                break
            routes = router.route_many([mention_text(r) for r in rows])
            q.set_teams(s, [(r["id"], rt.team) for r, rt in zip(rows, routes, strict=True)])
        after = rows[-1]["id"]
        counts["routed"] += len(rows)
        for rt in routes:
            counts[rt.method] += 1
    return StageResult(counts=counts)
