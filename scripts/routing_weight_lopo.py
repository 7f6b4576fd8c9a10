"""Choose the weight of the spent university parts by leaving one mixed part out (routing round 21).

Why: the texts veille routes are like the university parts of the held-out split (news, posts,
questions and service pages of institutions), not like the thousands of chatbot requests the
head also learns from; their weight (4 since round 8) was chosen on two parts. Here each of the
mixed parts 14-20 is routed in turn by the full router (keyword rules, head, text head, prior,
the tuned encoder's fixed settings) fitted on every other line of the shipped head's training
vectors, with the university parts at each candidate weight; the pooled accuracy decides
(docs/routing.md, round 21). The parts read here are spent: none is a fresh measure.

Run after ``veille route train`` has put every spent part in ``enrich/routing_head``::

    python scripts/routing_weight_lopo.py --weights 4 8 16

Round 22 used it for a nearest-neighbour vote mixed into the router (``--knn-mix``; not
shipped, docs/routing.md)::

    python scripts/routing_weight_lopo.py --weights 4 --knn-mix 0 0.2 0.4

Round 32 used it for the text head's weight (``--text-weights``; the fold's head is fitted once
and read with each weight, which only changes how its two probabilities are multiplied)::

    python scripts/routing_weight_lopo.py --weights 4 --text-weights 0.5 1 2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: The mixed parts (14 onwards), each left out in turn (none was read by the encoder's tuning).
MIXED_PREFIX = "heldout_univ_mix"


def university_sources(label_map: dict[str, dict]) -> set[str]:
    """The spent university parts: the held-out files the label map weighs like news (4)."""
    return {
        name
        for name, spec in label_map.items()
        if name.startswith("heldout_univ_") and float(spec.get("weight", 1.0)) == 4.0
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=float, nargs="+", default=[4.0, 8.0, 16.0])
    ap.add_argument(
        "--knn-mix",
        type=float,
        nargs="+",
        default=[0.0],
        help="round 22: weights of the nearest-neighbour vote mixed into the router",
    )
    ap.add_argument("--k", type=int, default=15, help="neighbours of the vote (round 22)")
    ap.add_argument(
        "--text-weights",
        type=float,
        nargs="+",
        default=[],
        help="round 32: weights of the text head to read (default: the fixed setting only)",
    )
    args = ap.parse_args()

    from enrich.routing import Router, encoder_for
    from enrich.routing_data import SPENT_HELDOUT_PARTS, SPENT_PARTS_DIR, load_label_map
    from enrich.routing_model import HEAD_DIR, load_head, prototypes
    from enrich.routing_pipeline import load_shipped, tuned_settings
    from enrich.routing_train import Prototypes, fit_temperature, source_weights, train
    from veille.config import merge_standard_teams

    shipped = load_head(HEAD_DIR)
    encoder = encoder_for(shipped)
    ds = load_shipped(HEAD_DIR)
    label_map = load_label_map()
    univ = university_sources(label_map)
    base_weights = source_weights(ds.sources, label_map)
    teams = merge_standard_teams({})
    names, vectors = prototypes(
        encoder, {n: [t.description, t.description_en] for n, t in teams.items()}
    )
    sims = ds.x @ vectors.T
    temperature = fit_temperature(sims, ds.teams, names)
    fixed = tuned_settings(encoder)
    sources = np.array(ds.sources)
    mixed_parts = [p for p in SPENT_HELDOUT_PARTS if p.startswith(MIXED_PREFIX)]
    held_rows = {
        part: [json.loads(x) for x in (SPENT_PARTS_DIR / part).read_text("utf-8").splitlines()]
        for part in mixed_parts
    }
    text_weights: list[float | None] = list(args.text_weights) or [None]
    runs = [(w, a, t) for w in args.weights for a in args.knn_mix for t in text_weights]
    right_by: dict[tuple[float, float, float | None], dict[str, list[bool]]] = {
        run: {"all": [], "fr": [], "en": []} for run in runs
    }
    train_x = ds.x.astype(np.float32)
    for w in args.weights:
        weights = np.where(np.isin(sources, sorted(univ)), w, base_weights)
        for part in mixed_parts:
            keep = np.flatnonzero(sources != part)
            head, _ = train(
                ds.x[keep],
                [ds.teams[i] for i in keep],
                [ds.groups[i] for i in keep],
                meta=dict(shipped.meta),
                sample_weight=weights[keep],
                protos=Prototypes(sims[keep], names, temperature),
                texts=[ds.texts[i] for i in keep],
                fixed=fixed,
            )
            rows = held_rows[part]
            texts = [r["text"] for r in rows]
            router = Router(teams, head=head, encoder=encoder)  # reads head.meta per call
            vote: np.ndarray | None = None
            for t in text_weights:
                if t is not None:
                    head.meta["text_weight"] = t
                routes = router.route_many(texts)
                names_, probs = router.scores(texts)
                if vote is None:  # the neighbours' vote does not depend on the text weight
                    x = encoder.embed(texts, max_length=router.max_tokens)
                    vote = knn_vote(
                        x, train_x[keep], [ds.teams[i] for i in keep], weights[keep], names_, args.k
                    )
                for a in args.knn_mix:
                    mixed = (1 - a) * probs + a * vote
                    hits = [
                        (route.team if route.method == "rule" else names_[int(np.argmax(p))])
                        == r["team"]
                        for route, p, r in zip(routes, mixed, rows, strict=True)
                    ]
                    for r, hit in zip(rows, hits, strict=True):
                        right_by[(w, a, t)]["all"].append(hit)
                        right_by[(w, a, t)][r["lang"]].append(hit)
                    print(
                        f"weight {w:g}, vote {a:g}, text weight {t}, {part} left out: "
                        f"{np.mean(hits):.4f} on {len(hits)}",
                        flush=True,
                    )
    for (w, a, t), right in right_by.items():
        acc = np.mean(right["all"])
        se = math.sqrt(acc * (1 - acc) / len(right["all"]))
        print(
            f"weight {w:g}, vote {a:g}, text weight {t}: pooled accuracy {acc:.4f} (se "
            f"{se:.4f}) on {len(right['all'])}; French {np.mean(right['fr']):.4f} on "
            f"{len(right['fr'])}, English {np.mean(right['en']):.4f} on {len(right['en'])}",
            flush=True,
        )


def knn_vote(
    x: np.ndarray,
    train_x: np.ndarray,
    train_teams: list[str],
    train_weights: np.ndarray,
    names: list[str],
    k: int,
) -> np.ndarray:
    """Each text's k nearest training lines (cosine) vote for their team, by similarity times
    the line's training weight; rows sum to 1 over ``names`` (round 22's candidate)."""
    col = {n: j for j, n in enumerate(names)}
    team_col = np.array([col.get(t, -1) for t in train_teams])
    sims = x @ train_x.T
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    out = np.zeros((len(x), len(names)))
    for i, idx in enumerate(top):
        for j in idx:
            if team_col[j] >= 0:
                out[i, team_col[j]] += max(float(sims[i, j]), 0.0) * float(train_weights[j])
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)


if __name__ == "__main__":
    main()
