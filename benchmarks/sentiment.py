"""Sentiment throughput: naive ``transformers.pipeline`` (batch 1) vs veille's path.

Both run in this one process on the same weights (the installed default
model, or ``--model-path``) over the same posts. By default those are the
real posts of the recordings the tests replay (``tests/fixtures``: Mastodon,
Bluesky, X, Reddit, French university feeds; 236 distinct texts, cycled to ``--n``), which have no
labels: the run then compares the two paths by label agreement. With
``--text/--labels`` (for example the UMSAB or TweetEval validation splits of
the training material, which may not be copied into the repository) it also
prints each path's macro-F1 and their difference. veille's path is
length-bucketed batches with dynamic padding, tuned threads and, for the
default model on CPU, bfloat16 torch where the CPU has AMX, else the int8 ONNX Runtime
export (each validated within half an F1 point of float32). Prints messages/s,
macro-F1 and peak RSS of both, and ends with ``ratio: X`` (veille / naive).

    python benchmarks/sentiment.py
    python benchmarks/sentiment.py --text DIR/tweeteval_val_text.txt \
        --labels DIR/tweeteval_val_labels.txt --n 2000   # labelled, from outside the repo
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--text", type=Path, help="one text a line (default: recorded posts)")
    ap.add_argument("--labels", type=Path, help="one label a line (0 neg, 1 neu, 2 pos)")
    ap.add_argument("--n", type=int, default=1000, help="number of texts (default 1000)")
    ap.add_argument(
        "--model-path", default="", help="local HF folder (default: installed default model)"
    )
    ap.add_argument("--backend", default="auto", help="veille backend: auto | torch | onnx")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0, help="0 = all available cores")
    args = ap.parse_args()

    import numpy as np
    import torch
    from sklearn.metrics import f1_score
    from transformers import pipeline

    from sentiment.data import LABELS
    from sentiment.model import install_default_model, label_columns, load_classifier
    from sentiment.text import normalise_tweet
    from veille.config import SentimentSettings

    gold: list[int] | None = None
    if args.text:
        texts = args.text.read_text(encoding="utf-8").splitlines()[: args.n]
        if args.labels:
            gold = [int(x) for x in args.labels.read_text(encoding="utf-8").splitlines()[: args.n]]
            if len(texts) != len(gold):
                raise SystemExit(f"{args.text} and {args.labels} have different lengths")
    else:
        from benchmarks.recorded_posts import recorded_post_texts

        posts = recorded_post_texts()
        texts = [posts[i % len(posts)] for i in range(args.n)]
    threads = args.threads or len(os.sched_getaffinity(0))
    folder = Path(args.model_path) if args.model_path else install_default_model()
    print(f"texts: {len(texts)}  model: {folder}  threads: {threads}")
    clean = [normalise_tweet(t) for t in texts]  # same input for both paths

    # --- naive baseline: transformers.pipeline, one text at a time, same weights
    torch.set_num_threads(threads)
    rss0 = current_rss_mb()
    pipe = pipeline("text-classification", model=str(folder), tokenizer=str(folder), device=-1)
    cols = label_columns({int(k): v for k, v in pipe.model.config.id2label.items()})
    name_to_label = {pipe.model.config.id2label[c]: i for i, c in enumerate(cols)}
    pipe(clean[0])  # warm-up
    t0 = time.perf_counter()
    naive_pred = [
        name_to_label[pipe(t, truncation=True, max_length=128)[0]["label"]] for t in clean
    ]
    naive_s = time.perf_counter() - t0
    naive_rss = current_rss_mb() - rss0
    naive_peak = peak_rss_mb()
    del pipe

    # --- veille: the production loader and batch path
    settings = SentimentSettings(
        model_path=args.model_path,
        batch_size=args.batch_size,
        backend=args.backend,
        threads=threads,
    )
    rss1 = current_rss_mb()
    clf = load_classifier(settings)
    clf.predict_proba(clean[:8])  # warm-up
    t0 = time.perf_counter()
    probs = clf.predict_proba(clean)
    veille_s = time.perf_counter() - t0
    veille_pred = probs.argmax(1).tolist()
    veille_rss = current_rss_mb() - rss1
    veille_peak = peak_rss_mb()

    def f1(pred: list[int]) -> str:
        if gold is None:
            return "macro-F1 n/a (no labels)"
        return f"macro-F1 {f1_score(gold, pred, labels=[0, 1, 2], average='macro'):.4f}"

    naive_rate, veille_rate = len(clean) / naive_s, len(clean) / veille_s
    agree = float(np.mean(np.array(naive_pred) == np.array(veille_pred)))
    print(f"labels: {', '.join(LABELS)}")
    print(
        f"naive pipeline (batch 1, torch fp32): {naive_rate:8.1f} msg/s  {f1(naive_pred)}"
        f"  model RSS +{naive_rss:.0f} MB  peak RSS {naive_peak:.0f} MB"
    )
    print(
        f"veille ({clf.backend}, batch {args.batch_size}, bucketed): {veille_rate:8.1f} msg/s"
        f"  {f1(veille_pred)}  model RSS +{veille_rss:.0f} MB"
        f"  peak RSS {veille_peak:.0f} MB"
    )
    if gold is not None:
        diff = f1_score(gold, veille_pred, average="macro") - f1_score(
            gold, naive_pred, average="macro"
        )
        print(f"macro-F1 difference: {diff:+.4f}")
    print(f"label agreement (veille vs naive): {agree:.4f}")
    print(f"ratio: {veille_rate / naive_rate:.2f}")


if __name__ == "__main__":
    main()
