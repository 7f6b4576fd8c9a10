"""Whether the routing head may read bfloat16 vectors: its routes on both paths, compared.

Why: on CPUs with AMX, bfloat16 torch computes the routing encoder about twice as fast as
the int8 ONNX graph (which does not use the tile unit), but the head was fitted on the
int8 vectors. Rounding moves a vector a little, and a text near a boundary may change
team. So the faster path is used only after the shipped head's routes were read on
labelled files both ways: accuracy with bfloat16 no more than :data:`TOLERANCE` under
int8's, overall and in each language, and the verdict is written into ``head.json``
(:data:`enrich.routing.BF16_VALIDATED`). A retrained head carries no verdict.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Largest accuracy loss allowed for the bfloat16 path, overall and per language.
TOLERANCE = 0.005


@dataclass(frozen=True)
class PathReading:
    """One labelled set read through both encoders with the same head."""

    name: str
    lines: int
    int8: float
    bf16: float
    agreement: float
    by_lang: dict[str, tuple[int, float, float]]


def read_both(
    int8_router: Any,
    bf16_router: Any,
    name: str,
    texts: Sequence[str],
    gold: Sequence[str],
    langs: Sequence[str],
) -> PathReading:
    """Accuracy of each path (as ``veille route eval`` scores it) and how often they route
    alike."""
    from enrich.routing_scores import score

    routes_a = int8_router.route_many(list(texts))
    routes_b = bf16_router.route_many(list(texts))
    a, b = [r.team for r in routes_a], [r.team for r in routes_b]
    sa = score(gold, a, langs, [r.triage for r in routes_a])
    sb = score(gold, b, langs, [r.triage for r in routes_b])
    n = len(gold)
    return PathReading(
        name,
        n,
        sa.accuracy,
        sb.accuracy,
        sum(x == y for x, y in zip(a, b, strict=True)) / max(n, 1),
        {lang: (k, acc, sb.by_lang[lang][1]) for lang, (k, acc) in sa.by_lang.items()},
    )


def pooled(readings: Sequence[PathReading]) -> PathReading:
    """All sets as one (line-weighted)."""
    n = sum(r.lines for r in readings)
    langs: dict[str, list[float]] = {}
    for r in readings:
        for lang, (k, a, b) in r.by_lang.items():
            acc = langs.setdefault(lang, [0, 0.0, 0.0])
            acc[0] += k
            acc[1] += a * k
            acc[2] += b * k
    return PathReading(
        "all",
        n,
        sum(r.int8 * r.lines for r in readings) / max(n, 1),
        sum(r.bf16 * r.lines for r in readings) / max(n, 1),
        sum(r.agreement * r.lines for r in readings) / max(n, 1),
        {lang: (int(k), a / k, b / k) for lang, (k, a, b) in langs.items() if k},
    )


def verdict(total: PathReading, tolerance: float = TOLERANCE) -> bool:
    """bfloat16 is validated when it loses at most ``tolerance`` overall and per language."""
    if total.bf16 < total.int8 - tolerance:
        return False
    return all(b >= a - tolerance for _, a, b in total.by_lang.values())


def write_verdict(head_dir: Path, total: PathReading, files: Sequence[str]) -> bool:
    """Record the verdict and its figures in ``head_dir/head.json``; return the verdict."""
    from enrich.routing import BF16_VALIDATED
    from enrich.routing_model import HEAD_META

    ok = verdict(total)
    path = head_dir / HEAD_META
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta[BF16_VALIDATED] = ok
    meta["torch_bf16_validation"] = {
        "files": list(files),
        "lines": total.lines,
        "accuracy_int8": round(total.int8, 4),
        "accuracy_bf16": round(total.bf16, 4),
        "agreement": round(total.agreement, 4),
        "by_lang": {
            lang: {"lines": k, "int8": round(a, 4), "bf16": round(b, 4)}
            for lang, (k, a, b) in total.by_lang.items()
        },
        "tolerance": TOLERANCE,
    }
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ok
