"""How precise each standard routing keyword is on every labelled line veille holds.

Keyword rules win over the model (``enrich/routing.py``), so a keyword that is right less often
than the model's confident routes makes routing worse wherever it fires. This reads only gold
labels, never a head's output: the label map's training sources (``--shared``, the corpus under
``../shared/data/routing``), the vendored training files and the spent held-out parts. Routing
round 18's rule (``docs/routing.md``): a keyword with at least 10 matched lines and a precision
under 0.90 is dropped.

Run: ``python scripts/routing_keyword_precision.py --shared ../shared/data/routing``
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrich.routing import keyword_query  # noqa: E402
from enrich.routing_data import read_file, spent_part_files  # noqa: E402
from veille.query import Document  # noqa: E402

MIN_LINES = 10
MIN_PRECISION = 0.90


def labelled_lines(shared: Path | None, extra: list[Path]) -> list[tuple[str, str]]:
    """``(text, team)`` of every labelled line, each text once."""
    files = sorted(shared.glob("*.jsonl")) if shared else []
    files += sorted((ROOT / "enrich" / "data" / "routing" / "train").glob("*.jsonl"))
    files += [*spent_part_files(), *extra]
    seen: dict[str, str] = {}
    for path in files:
        for ex in read_file(path):
            seen.setdefault(ex.text, ex.team)
    return list(seen.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, help="the label map's training corpus folder")
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="more labelled files")
    args = ap.parse_args()
    teams = tomllib.loads((ROOT / "enrich/data/routing/teams.toml").read_text(encoding="utf-8"))
    lines = labelled_lines(args.shared, args.extra)
    docs = [(Document.of(text), team) for text, team in lines]
    print(f"{len(docs)} labelled texts")
    for name, spec in teams.items():
        for kw in spec.get("keywords", []):
            query = keyword_query(kw)
            hits = [team for doc, team in docs if query.matches_document(doc)]
            right = sum(team == name for team in hits)
            precision = right / len(hits) if hits else float("nan")
            verdict = "few" if len(hits) < MIN_LINES else "keep"
            if len(hits) >= MIN_LINES and precision < MIN_PRECISION:
                verdict = "drop"
            wrong = dict(Counter(t for t in hits if t != name).most_common(4))
            print(
                f"{name:15s} {kw:26s} n={len(hits):4d} precision={precision:.3f} {verdict} {wrong}"
            )


if __name__ == "__main__":
    main()
