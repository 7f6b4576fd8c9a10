"""Route every mention and alert to the team that should act on it.

Two layers, so requests reach the right service without ping-pong:

1. **Rules**: each team's ``keywords`` (standard ones from
   ``enrich/data/routing/teams.toml`` plus ``[teams.<name>]``), matched with
   veille's query language semantics (accents, case and French elisions
   ignored; ``"mot de passe"`` is a phrase, ``diplôm*`` a prefix). The team
   with the most matching keywords wins; ties go to the team listed first.
2. **The trained head** (:mod:`enrich.routing_model`) on e5-small sentence
   embeddings for every other text: real requests from university chatbots,
   a French school's help-centre and IT tickets taught it the seven standard
   teams; teams it has no examples of are scored against their description
   and examples.

Every route carries a score and a runner-up. Below the threshold calibrated
on validation (stored with the head) a route is marked ``triage``: the best
guess is kept and shown, and a person decides. Nothing is silently sent to
``communications``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from enrich.routing_model import Head, active_head_dir, combine, load_head, prototypes
from veille.config import RoutingSettings, Settings, TeamSettings, merge_standard_teams
from veille.errors import ConfigError, ModelUnavailableError
from veille.query import Document, Query, QuerySyntaxError, parse
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

#: Team of texts with nothing to route (empty): community managers decide.
FALLBACK_TEAM = "communications"
#: Route status shown to community managers.
ROUTED, TRIAGE, CORRECTED = "routed", "triage", "corrected"
MODEL_VERSION = "routing-e5-head-1"
#: Tokens of a mention the embedding head reads (prefix and special tokens included).
#: The head is trained on vectors of up to 128 tokens; reading only 32 at routing time
#: cost it dearly on news and posts, which are longer than chatbot requests (grouped CV of
#: round 11, training lines re-embedded at each length, text head mixed in: news, posts and
#: service pages 0.755 at 32 tokens, 0.785 at 48, 0.794 at 64, 0.793 at 96, 0.802 at 128;
#: French ones 0.712 / 0.755 / 0.770 / 0.765 / 0.784). 64 is the knee; it costs about half
#: again the encoder time of 32 on texts that long (half the vendored real posts are longer
#: than 32 tokens, a quarter longer than 64), and nothing on shorter ones. A deployment
#: sets it with ``[routing] max_tokens`` (veille.toml).
ROUTE_MAX_TOKENS = RoutingSettings().max_tokens


@dataclass(frozen=True)
class Route:
    """Where a text goes, how sure we are, and the next best team."""

    team: str
    method: str  # rule | model | fallback
    score: float = 1.0
    keywords: tuple[str, ...] = field(default_factory=tuple)
    runner_up: str | None = None
    runner_up_score: float = 0.0
    triage: bool = False

    @property
    def status(self) -> str:
        return TRIAGE if self.triage else ROUTED


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


@lru_cache(maxsize=1)
def shared_encoder() -> Any:
    """The e5-small sentence encoder, loaded once per process (the job-change head's)."""
    from sentiment.encoder import load_encoder

    return load_encoder()


@lru_cache(maxsize=1)
def routing_encoder() -> Any:
    """e5-small tuned for routing by the shipped adapter (``enrich/routing_adapter/``).

    Loaded once per process; built into the model cache by ``veille models install``.
    """
    from enrich.routing_finetune import ADAPTER_DIR
    from sentiment.encoder import load_encoder

    return load_encoder(adapter=ADAPTER_DIR)


@lru_cache(maxsize=1)
def routing_encoder_bf16() -> Any:
    """The routing encoder in bfloat16 torch (:class:`sentiment.encoder.TorchBf16Encoder`)."""
    from enrich.routing_finetune import ADAPTER_DIR
    from sentiment.encoder import load_bf16_encoder

    return load_bf16_encoder(adapter=ADAPTER_DIR)


#: ``head.json`` key set by ``veille route validate-bf16 --write`` when the head's routes
#: with bfloat16 vectors matched those with the int8 vectors it was fitted on.
BF16_VALIDATED = "torch_bf16_validated"


def bf16_routing_pays(head: Head) -> bool:
    """Whether routing reads bfloat16 vectors: a CPU with AMX and a head validated for them.

    A head written by ``veille route train`` carries no verdict, so it reads the int8
    vectors it was fitted on until it is validated again.
    """
    from sentiment.device import cpu_has_amx

    return bool(head.meta.get(BF16_VALIDATED)) and cpu_has_amx()


def encoder_for(head: Head, *, bf16: bool = True) -> Any:
    """The encoder ``head`` was trained on: the tuned one, or the base for older heads;
    on CPUs with AMX, in bfloat16 when the head was validated for it
    (:func:`bf16_routing_pays`) and ``bf16`` allows it (the benchmark's int8 baseline).

    A head reads only the vectors it was fitted on; one fitted on another tuning (an
    adapter since replaced) is refused with the command that mends it.
    """
    from sentiment.encoder import ENCODER_NAME

    name = str(head.meta.get("encoder") or ENCODER_NAME)
    if name == ENCODER_NAME:
        return shared_encoder()
    encoder = routing_encoder_bf16() if bf16 and bf16_routing_pays(head) else routing_encoder()
    if encoder.name != name:
        raise ModelUnavailableError(
            f"the routing head was trained on the encoder {name}, but the installed routing "
            f"adapter gives {encoder.name}: retrain the head with `veille route train "
            "--no-shipped --data ...` (docs/routing.md)"
        )
    return encoder


@lru_cache(maxsize=4)
def _head(folder: str) -> Head:
    return load_head(Path(folder))


class Router:
    """Rules from the settings, then the trained head; built once per run."""

    def __init__(
        self,
        settings: Settings | Mapping[str, TeamSettings],
        head_dir: Path | None = None,
        *,
        encoder: Any = None,
        head: Head | None = None,
    ) -> None:
        teams = dict(settings.teams if isinstance(settings, Settings) else settings)
        self.max_tokens = (
            settings.routing.max_tokens if isinstance(settings, Settings) else ROUTE_MAX_TOKENS
        )
        self.teams = list(teams)
        self.rules: list[tuple[str, list[tuple[str, Query]]]] = [
            (name, [(kw, keyword_query(kw)) for kw in team.keywords])
            for name, team in teams.items()
        ]
        self.settings_teams = teams
        self.head_dir = head_dir or active_head_dir()
        self._encoder = encoder
        self._head_obj = head
        self._protos: tuple[list[str], np.ndarray] | None = None
        self.fallback = (
            FALLBACK_TEAM if FALLBACK_TEAM in self.teams or not self.teams else self.teams[0]
        )

    # -- lazily loaded model parts -------------------------------------------------
    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = encoder_for(self.head)
        return self._encoder

    @property
    def head(self) -> Head:
        if self._head_obj is None:
            self._head_obj = _head(str(self.head_dir))
        return self._head_obj

    def class_of(self, team: str) -> str:
        """The head class a configured team stands for (itself, or the one it replaces)."""
        return self.settings_teams[team].replaces or team

    def _prototypes(self) -> tuple[list[str], np.ndarray]:
        if self._protos is None:
            texts = {
                name: [t.description, t.description_en, *t.examples]
                for name, t in self.settings_teams.items()
            }
            self._protos = prototypes(self.encoder, texts)
        return self._protos

    # -- routing ---------------------------------------------------------------------
    def _by_rules(self, doc: Document) -> Route | None:
        best: Route | None = None
        for name, rules in self.rules:
            hits = tuple(kw for kw, query in rules if query.matches_document(doc))
            if hits and (best is None or len(hits) > len(best.keywords)):
                best = Route(name, "rule", 1.0, hits)
        return best

    def scores(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """Probabilities over the configured teams for each text (no rules)."""
        head = self.head
        x = self.encoder.embed(texts, max_length=self.max_tokens)
        by_class = {self.class_of(t): t for t in self.teams}
        cols = [i for i, c in enumerate(head.classes) if c in by_class]
        head_teams = [by_class[head.classes[i]] for i in cols]
        probs = head.predict_proba(x, texts)[:, cols] if cols else np.zeros((len(texts), 0))
        names, protos = self._prototypes()
        sims = x @ protos.T if len(names) else np.zeros((len(texts), 0))
        return combine(probs, head_teams, sims, names, head.temperature, head.proto_weight)

    def route_many(self, texts: list[str]) -> list[Route]:
        """Route a batch (the model scores all rule-less texts at once)."""
        routes: list[Route | None] = [self._by_rules(Document.of(t)) for t in texts]
        pending = [i for i, r in enumerate(routes) if r is None and texts[i].strip()]
        if pending and self.teams:
            teams, probs = self.scores([texts[i] for i in pending])
            threshold = self.head.threshold
            for i, row in zip(pending, probs, strict=True):
                order = np.argsort(-row)
                top = int(order[0])
                second = int(order[1]) if len(order) > 1 else None
                score = round(float(row[top]), 3)
                routes[i] = Route(
                    teams[top],
                    "model",
                    score,
                    runner_up=teams[second] if second is not None else None,
                    runner_up_score=round(float(row[second]), 3) if second is not None else 0.0,
                    triage=score < threshold,
                )
        return [r or Route(self.fallback, "fallback", 0.0, triage=True) for r in routes]

    def route(self, text: str) -> Route:
        return self.route_many([text])[0]


def standard_router(**kwargs: Any) -> Router:
    """A router over the seven standard teams (no veille.toml needed)."""
    return Router(merge_standard_teams({}), **kwargs)


def mention_text(row: dict[str, Any]) -> str:
    """What routing reads: title and text together."""
    return " ".join(str(row.get(k) or "") for k in ("title", "text")).strip()


def routing_stage(ctx: StageContext) -> StageResult:
    """Pipeline stage: give a team to every mention that has none yet."""
    from store import report_queries as q
    from store.db import session_scope

    router = Router(ctx.settings)
    batch = int(ctx.options.get("batch_size", 1000))
    counts: dict[str, int] = {"routed": 0, "rule": 0, "model": 0, "fallback": 0, "triage": 0}
    after = 0
    while True:
        with session_scope(ctx.db_url) as s:
            rows = q.unrouted_mentions(s, batch, after)
            if not rows:
                break
            routes = router.route_many([mention_text(r) for r in rows])
            q.set_teams(
                s,
                [
                    (r["id"], rt.team, rt.score, rt.runner_up, rt.status)
                    for r, rt in zip(rows, routes, strict=True)
                ],
            )
        after = rows[-1]["id"]
        counts["routed"] += len(rows)
        for rt in routes:
            counts[rt.method] += 1
            counts["triage"] += int(rt.triage)
    return StageResult(counts=counts)
