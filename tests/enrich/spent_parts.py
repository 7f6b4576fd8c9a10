"""One labelled row of a spent frozen benchmark part, for the tests that quote a real sentence.

A spent part was scored once with a released extractor and is development data since; the
tests read its sentences by id instead of writing them again.
"""

from __future__ import annotations

import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def spent_row(part: int | str, row_id: str) -> dict:
    """Row ``row_id`` of part ``part`` (its number, or its file name under ``benchmarks/data``)."""
    name = part if isinstance(part, str) else f"jobs_test{part}.jsonl"
    lines = (BENCH / name).read_text(encoding="utf-8").splitlines()
    return next(r for r in map(json.loads, lines) if r["id"] == row_id)
