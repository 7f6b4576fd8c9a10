"""Where the job-change extractor loses a positive sentence of the development pool.

Why: rounds 50 and 51 of issue 21 (``benchmarks/README.md``) came from this trace, not from
reading errors one by one. Of the positive sentences that form no change, it tells which
stage dropped them: the trigger pre-filter, the deciding tagger's no, no organisation or
title span, the grouping and plausibility of the tagger's spans, a veto (and which
expression), a board seat, no trigger near the change's sentence, or the change head. Each
stage is a lever of its own: a data line (a veto, a trigger), a bug (a quote cut at an
initial), or the models.

It reads only the development pool (``fresh_sites6`` and the spent parts 21-26 and 29-52),
never a fresh part. Run::

    python scripts/jobs_loss_trace.py [--show 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: The development pool of rounds 48-55: the spent parts scored before this session's rounds.
DEV_PARTS = (*range(21, 27), *range(29, 53))


def _jobs_eval() -> Any:
    """``benchmarks/jobs_eval.py`` as a module (it is a script, not a package member)."""
    spec = importlib.util.spec_from_file_location("jobs_eval", ROOT / "benchmarks" / "jobs_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pool_rows() -> list[dict[str, Any]]:
    """The labelled rows of the development pool."""
    je = _jobs_eval()
    rows: list[dict[str, Any]] = je.read_jsonl(ROOT / "enrich/data/jobs_dev/fresh_sites6.jsonl")
    for n in DEV_PARTS:
        rows += je.load_set(f"test{n}")
    return rows


def lost_at(text: str, lang: str) -> str:
    """The stage that drops every change of ``text`` (the extractor formed none)."""
    from enrich.job_tagger import group, load_tagger, load_title_tagger, with_titles_of
    from enrich.jobs.extract import dropped_by, rule_changes
    from enrich.jobs.merge import CHANGE_MIN, TAGGER_MIN_SCORE, _plausible_alone, with_tagger
    from enrich.jobs.tidy import tidy
    from enrich.jobs_change_head import keep_told_changes
    from enrich.jobs_prefilter import focus, might_announce_change

    if not might_announce_change(text):
        return "pre-filter"
    read = focus(text)
    tagger = load_tagger()
    if tagger.decides_apart and tagger.decisions([read])[0] < CHANGE_MIN:
        return "deciding tagger says no"
    (tagged,) = tagger.tag([read], decide=False)
    titler = load_title_tagger()
    if titler is not None:
        tagged = with_titles_of(tagged, titler.tag([read], decide=False)[0])
    spans = [s for s in tagged.spans if s.score >= TAGGER_MIN_SCORE]
    (found,) = with_tagger([read], [lang], rule_changes([read], [lang]), None)
    if not found:
        if not any(s.kind in ("ORG", "TITLE") for s in spans):
            return "no organisation or title span"
        grouped = group(read, spans)
        if grouped and not any(_plausible_alone(read, c) for c in grouped):
            return "not plausible alone"
        return "spans not grouped into a change"
    # As extract_job_changes does: the checks on the text read, then the vetoes again on the
    # whole text (a [text] expression outside the trigger sentences).
    reasons = [dropped_by(jc, read) or dropped_by(jc, text) for jc in found]
    kept = [tidy(jc) for jc, why in zip(found, reasons, strict=True) if why is None]
    if not kept:
        return next(why for why in reasons if why)
    if not keep_told_changes([kept])[0]:
        return "change head"
    return "kept when read alone (lost with other texts)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", type=int, default=0, help="examples printed per stage")
    args = ap.parse_args()

    from enrich.jobs import extract_job_changes
    from enrich.jobs.lang import detect_lang

    rows = pool_rows()
    preds = extract_job_changes([r["text"] for r in rows])
    lost = [r for r, p in zip(rows, preds, strict=True) if r["job_changes"] and not p]
    positives = sum(1 for r in rows if r["job_changes"])
    print(f"{len(rows)} sentences, {positives} positive; {len(lost)} positive form no change")
    stages: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for r in lost:
        lang = r.get("lang") or detect_lang(r["text"])
        stage = lost_at(r["text"], lang if lang in ("fr", "en") else "en")
        key = "veto" if stage.startswith("veto:") else stage
        stages[key] += 1
        examples.setdefault(key, []).append(f"{r.get('id', '')} {stage}: {r['text'][:160]}")
    for stage, n in stages.most_common():
        print(f"{n:4}  {stage}")
        for line in examples[stage][: args.show]:
            print(f"        {line}")


if __name__ == "__main__":
    main()
