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
    results: dict[float, dict[str, list[bool]]] = {}
    for w in args.weights:
        weights = np.where(np.isin(sources, sorted(univ)), w, base_weights)
        right: dict[str, list[bool]] = {"all": [], "fr": [], "en": []}
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
            router = Router(teams, head=head, encoder=encoder)
            rows = held_rows[part]
            routes = router.route_many([r["text"] for r in rows])
            hits = [route.team == r["team"] for route, r in zip(routes, rows, strict=True)]
            for r, hit in zip(rows, hits, strict=True):
                right["all"].append(hit)
                right[r["lang"]].append(hit)
            print(f"weight {w:g}, {part} left out: {np.mean(hits):.4f} on {len(hits)}", flush=True)
        results[w] = right
        acc = np.mean(right["all"])
        se = math.sqrt(acc * (1 - acc) / len(right["all"]))
        print(
            f"weight {w:g}: pooled accuracy {acc:.4f} (se {se:.4f}) on {len(right['all'])}; "
            f"French {np.mean(right['fr']):.4f} on {len(right['fr'])}, "
            f"English {np.mean(right['en']):.4f} on {len(right['en'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
