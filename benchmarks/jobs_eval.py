"""Precision / recall / F1 of job-change extraction on real public FR and EN sentences.

Data: ``benchmarks/data/jobs_eval.jsonl`` — one sentence per line with its source
URL, a ``split`` (``dev``, ``dev2``, ``dev3``, ``dev4``: looked at while writing the rules;
``heldout``, ``heldout2``: only scored, their mistakes are never printed), and the gold
``job_changes`` (person, organization, title; empty list for negatives that use the same
trigger words).

``dev4`` and ``heldout2`` (114 sentences found with a web-page search over politics, sport,
business, academia, public administration and first-person posts) were labelled and committed
before the rules were changed for them. Gold conventions, shared by all splits:

* a job change is a new position or mandate taken, announced or confirmed: appointments,
  elections and re-elections, hires, promotions, signings and contract extensions, first-person
  "I joined / I will be"; announced future ones count ("will become", "deviendra");
* not job changes: award nominations ("nommé pour le César", "nominated for best album"),
  dismissals and resignations, candidacies, shortlists and rumours ("linked with", "pressenti"),
  committees appointed, protests or marches joined, people named in a lawsuit, a role merely
  held ("depuis 4 ans responsable de"), generic rules ("le préfet est nommé par décret");
* person as written, without honorifics (Pr, Professor, Mr); organisation as written, null when
  only a pronoun or common noun names it ("the company", "notre Fédération", "the
  microblogging site"); a minister's title carries the ministry ("ministre du Travail",
  organisation null); a player's signing has no title; former roles in apposition are not
  extracted.

A predicted value matches a gold value when, after case/accent/punctuation
folding and dropping leading articles, they are equal or one is contained in the
other as whole words (so "SNCF" matches "la SNCF", not "NCF"). Each gold value
can be matched once. The baseline, measured in the same run, is a single
regular expression per language of the kind one writes first ("appointed|named
|joins ... as TITLE at|of ORG").

veille's extractor (spaCy rules, and the trained tagger of :mod:`enrich.job_tagger` wherever
the rules did not read a whole change) is scored beside the rules alone and the regex baseline.
The tagger is trained on ``enrich/data/jobs_train/`` (1,499 more real sentences from the same
kind of search, none from a held-out source) and on the dev splits, so only the held-out splits
measure it.

Gold convention added with the second round of training data: an office named only by a noun
("prend la présidence de", "assume the deanship") has no title.

Run: ``python benchmarks/jobs_eval.py [--show-errors]``; the last line is
``f1: X``, the mean of the organisation and title F1 on the two held-out splits.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrich.jobs import extract_job_changes  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "jobs_eval.jsonl"
FIELDS = ("organization", "title", "person")


def fold(value: str | None) -> str:
    if not value:
        return ""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    value = re.sub(r"[^\w]+", " ", value).strip()
    value = re.sub(r"^(the|le|la|les|l|its|their)\s+", "", value)
    return value


def same(pred: str, gold: str) -> bool:
    p, g = fold(pred), fold(gold)
    if not p or not g:
        return False
    return p == g or f" {p} " in f" {g} " or f" {g} " in f" {p} "


def score(rows: list[dict], preds: list[list[dict]]) -> dict[str, tuple[float, float, float]]:
    out: dict[str, tuple[float, float, float]] = {}
    for f in FIELDS:
        tp = fp = fn = 0
        for row, pred in zip(rows, preds, strict=True):
            gold_vals = [c[f] for c in row["job_changes"] if c.get(f)]
            pred_vals = [c[f] for c in pred if c.get(f)]
            used = [False] * len(gold_vals)
            for pv in pred_vals:
                hit = next(
                    (i for i, gv in enumerate(gold_vals) if not used[i] and same(pv, gv)), None
                )
                if hit is None:
                    fp += 1
                else:
                    used[hit] = True
                    tp += 1
            fn += used.count(False)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[f] = (p, r, f1)
    return out


_BASE_EN = re.compile(
    r"(?:(?P<person>[A-Z][\w.]+(?: [A-Z][\w.]+)+) )?(?:has been |was |is )?"
    r"(?:appointed|named|joins|joined|hired)(?: as)? (?P<title>[\w ]+?) (?:at|of) "
    r"(?P<org>[A-Z][\w&.' -]+)"
)
_BASE_FR = re.compile(
    r"(?:(?P<person>[A-ZÉ][\w-]+(?: [A-ZÉ][\w-]+)+) )?(?:a été |est )?"
    r"(?:nommée?|élue?|rejoint)(?: en tant que| au poste de)? (?P<title>[\w ]+?) "
    r"(?:de la |de l'|du |de |d'|chez )(?P<org>[A-ZÉ][\w' -]+)"
)


def baseline(text: str, lang: str) -> list[dict]:
    rx = _BASE_FR if lang == "fr" else _BASE_EN
    out = []
    for m in rx.finditer(text):
        out.append(
            {
                "person": m.group("person"),
                "organization": m.group("org").strip(),
                "title": m.group("title").strip(),
            }
        )
    return out


def report(name: str, res: dict[str, tuple[float, float, float]]) -> None:
    cells = "  ".join(f"{f[:5]} P={p:.2f} R={r:.2f} F1={f1:.2f}" for f, (p, r, f1) in res.items())
    print(f"{name:<28} {cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--show-errors",
        action="store_true",
        help="print mistakes on the dev splits (never the heldout ones)",
    )
    args = ap.parse_args()
    rows = [
        json.loads(line)
        for line in args.data.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts = [r["text"] for r in rows]
    t0 = time.perf_counter()
    found = extract_job_changes(texts)
    elapsed = time.perf_counter() - t0
    preds = [[jc.contract() for jc in changes] for changes in found]
    rules = [[jc.contract() for jc in c] for c in extract_job_changes(texts, use_tagger=False)]
    base = [baseline(r["text"], r["lang"]) for r in rows]
    n_neg = sum(1 for r in rows if not r["job_changes"])
    print(f"{len(rows)} sentences ({n_neg} negatives), extraction {elapsed:.1f}s incl. model load")
    print("dev splits: the rules were written on them and the tagger trained on them")
    for split in ("dev", "dev2", "dev3", "dev4", "heldout", "heldout2", "unseen"):
        idx = [i for i, r in enumerate(rows) if _in_split(r, split)]
        sub = [rows[i] for i in idx]
        report(f"veille [{split}, n={len(idx)}]", score(sub, [preds[i] for i in idx]))
        report(f"  rules alone [{split}]", score(sub, [rules[i] for i in idx]))
        report(f"  regex baseline [{split}]", score(sub, [base[i] for i in idx]))
    unseen = [i for i, r in enumerate(rows) if _in_split(r, "unseen")]
    false_pos = sum(1 for i in unseen if not rows[i]["job_changes"] and preds[i])
    n_neg_unseen = sum(1 for i in unseen if not rows[i]["job_changes"])
    print(f"unseen negatives with a predicted change: {false_pos}/{n_neg_unseen}")
    if args.show_errors:
        for r, p in zip(rows, preds, strict=True):
            if r["split"].startswith("heldout"):
                continue
            gold = [{k: c[k] for k in FIELDS} for c in r["job_changes"]]
            pp = [{k: c[k] for k in FIELDS} for c in p]
            if json.dumps(gold) != json.dumps(pp):
                print(f"- {r['id']}: {r['text']}\n  gold={gold}\n  pred={pp}")
    res = score([rows[i] for i in unseen], [preds[i] for i in unseen])
    print(f"f1: {(res['organization'][2] + res['title'][2]) / 2:.3f}")


def _in_split(row: dict, split: str) -> bool:
    """``unseen`` = both held-out splits: neither the rules nor the tagger saw them."""
    if split == "unseen":
        return str(row["split"]).startswith("heldout")
    return row["split"] == split


if __name__ == "__main__":
    main()
