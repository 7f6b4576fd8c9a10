"""The job rules read the labelled corpus exactly as the golden file says.

``tests/enrich/jobs_golden.jsonl`` holds, for every text of the tagger's training data, the
benchmark's splits and the ordinary posts, the detected language and every change the rule
layer (:func:`enrich.jobs.rule_changes`) reads, with its rule, sentence and start date. It was
written by ``scripts/jobs_golden.py`` before ``enrich/jobs.py`` was cut into a package, so this
test is what proves the refactor kept the behaviour (commit 5c10646 also compared the whole path,
tagger included, with the old module before it was deleted); afterwards it makes every change of a
rule's output visible in a diff (regenerate the file with the script when the change is wanted).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts.jobs_golden import GOLDEN, digest, read_rules, read_texts


def _golden() -> tuple[dict[str, Any], dict[tuple[str, int], list[dict[str, Any]]]]:
    header, *records = (
        json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()
    )
    return header, {(r["file"], r["line"]): r["changes"] for r in records}


def test_golden_file_covers_the_whole_corpus() -> None:
    header, records = _golden()
    from scripts.jobs_golden import corpus_files

    assert set(corpus_files()) >= set(header["files"])
    assert sum(f["lines"] for f in header["files"].values()) > 4_900
    assert len(records) > 500  # the labelled positives give changes: the file is no stub


@pytest.mark.slow
def test_rules_reproduce_the_golden_file() -> None:
    header, records = _golden()
    for path, meta in header["files"].items():
        texts = read_texts(path, meta["lines"])
        assert digest(texts) == meta["sha256"], (
            f"{path}: its first {meta['lines']} texts changed; "
            "run `python scripts/jobs_golden.py` and review the golden file's diff"
        )
        langs, changes = read_rules(texts)
        assert langs == meta["langs"], f"{path}: detect_lang differs"
        for n, found in enumerate(changes, 1):
            assert found == records.get((path, n), []), f"{path}:{n}: {texts[n - 1]!r}"
