"""Regenerate ``tests/enrich/jobs_golden.jsonl``: what the job rules read in the labelled corpus.

Why: the rules of :mod:`enrich.jobs` are refactored and extended, and a change of behaviour
must be a decision, not an accident. The golden file pins the output of the rule layer
(:func:`enrich.jobs.rule_changes`: spaCy and the rules, without the trained tagger, the
pre-filter or the vetoes, which change on their own schedule) and of :func:`detect_lang` on
every text of the tagger's training data, the benchmark's dev and test splits and the
ordinary posts. ``tests/enrich/test_jobs_golden.py`` checks that the code reproduces it.

When a rule is changed on purpose, run ``python scripts/jobs_golden.py`` and read the diff of
the golden file in the commit: each changed line is a sentence read differently.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "enrich" / "jobs_golden.jsonl"
#: Publication date given to every text, so that a date without a year reads the same later.
BASE = datetime(2025, 6, 1, tzinfo=UTC)


def corpus_files() -> list[str]:
    """The labelled and ordinary texts, as paths relative to the repository."""
    train = sorted((ROOT / "enrich" / "data" / "jobs_train").glob("*.jsonl"))
    bench = [ROOT / "benchmarks" / "data" / n for n in ("jobs_eval.jsonl", "jobs_test.jsonl")]
    ordinary = [ROOT / "benchmarks" / "data" / "ordinary_posts.jsonl"]
    return [str(p.relative_to(ROOT)) for p in [*train, *bench, *ordinary]]


def read_texts(path: str, lines: int | None = None) -> list[str]:
    """The ``text`` of each line of ``path`` (its first ``lines`` lines when given)."""
    rows = (ROOT / path).read_text(encoding="utf-8").splitlines()
    if lines is not None:
        rows = rows[:lines]
    return [json.loads(row)["text"] for row in rows if row.strip()]


def digest(texts: Sequence[str]) -> str:
    return hashlib.sha256("\x1e".join(texts).encode()).hexdigest()


def read_rules(texts: Sequence[str]) -> tuple[str, list[list[dict[str, Any]]]]:
    """The detected languages (one letter each) and the rule changes of ``texts``."""
    from enrich.jobs import detect_lang, rule_changes

    langs = [detect_lang(t) for t in texts]
    found = rule_changes(texts, langs, [BASE] * len(texts))
    changes = [
        [{k: v for k, v in jc.as_dict().items() if k != "evidence"} for jc in f] for f in found
    ]
    return "".join(la[0] for la in langs), changes


def golden_lines(files: Sequence[str]) -> list[dict[str, Any]]:
    """The golden file's records: one header with the inputs, then each text that gives a change."""
    header: dict[str, Any] = {"base": BASE.isoformat(), "files": {}}
    records: list[dict[str, Any]] = []
    for path in files:
        texts = read_texts(path)
        langs, changes = read_rules(texts)
        header["files"][path] = {"lines": len(texts), "sha256": digest(texts), "langs": langs}
        records += [
            {"file": path, "line": n, "changes": found}
            for n, found in enumerate(changes, 1)
            if found
        ]
    return [header, *records]


def main() -> None:
    lines = golden_lines(corpus_files())
    with GOLDEN.open("w", encoding="utf-8") as fh:
        for rec in lines:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{GOLDEN.relative_to(ROOT)}: {len(lines) - 1} texts with changes")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
