"""Fine-tune the routing encoder: a LoRA adapter on e5-small, trained on the routing task.

Why: from round 8 on, more training lines of the kind that failed no longer moved the
held-out parts. The head was a linear map over a *frozen* sentence encoder, whose
vectors place "soutenance de thèse" and "bourse Erasmus" by topic, not by the team that
acts on them. Tuning the encoder itself on the routing lines (a rank-16 LoRA on every
layer, a few MB) moves those vectors; the logistic head, the character n-gram head and
the triage threshold then work on the tuned vectors exactly as before (one encoder
pass per text, so routing costs the same).

The model trained here is the encoder, mean-pooled and L2-normalised as
:mod:`sentiment.encoder` exports it, and a linear layer over the scaled unit vector.
Only the adapter is kept: the linear layer is a training device, and the shipped
head is refitted on the tuned vectors by ``veille route train``, so that UI
corrections keep teaching it without a new fine-tuning.

Each line's weight is its source's ``weight`` in the label map (as for the head), and
teams are balanced (each team's lines weigh the same in all). Everything is seeded;
batches are length-bucketed. On a 2-core CPU, 4,261 lines x 3 epochs take about 8
minutes.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from enrich.routing_data import TEAMS, Example, sha256_lines
from enrich.routing_train import source_weights
from sentiment.lora_recipe import LoraRecipe

log = logging.getLogger(__name__)

ADAPTER_DIR = Path(__file__).parent / "routing_adapter"
ADAPTER_WEIGHTS = "adapter.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
FORMAT = "veille-routing-adapter-1"


@dataclass
class FinetuneConfig(LoraRecipe):
    """Hyper-parameters; the defaults are the shipped adapter's recipe."""

    #: Tokens read per text, in training as in use (``[routing] max_tokens``).
    max_length: int = 64
    #: The unit vector is multiplied by this before the linear layer (a cosine classifier
    #: needs a temperature to reach confident probabilities).
    scale: float = 20.0
    threads: int = 0
    #: Stop after this many optimiser steps (0 = the whole schedule): tests.
    max_steps: int = 0


def line_weights(examples: Sequence[Example]) -> np.ndarray:
    """Source weight of each line, rescaled so that every team weighs the same in all."""
    w = source_weights([e.source for e in examples])
    y = np.array([TEAMS.index(e.team) for e in examples])
    per_team = np.bincount(y, weights=w, minlength=len(TEAMS))
    present = int((per_team > 0).sum())
    scaled: np.ndarray = w / per_team[y] * w.sum() / max(present, 1)
    return scaled


def build_model(base_dir: Path, cfg: FinetuneConfig) -> Any:
    """e5-small with LoRA on every layer, mean pooling and a linear layer over the teams."""
    import torch
    from torch import nn
    from transformers import BertModel

    from sentiment.lora import inject_lora

    class PooledClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(base_dir), add_pooling_layer=False)
            for p in self.bert.parameters():
                p.requires_grad_(False)
            inject_lora(self.bert.encoder.layer, cfg.rank, cfg.alpha, cfg.lora_dropout)
            for name, p in self.bert.named_parameters():
                if "lora_" in name:
                    p.requires_grad_(True)
            self.drop = nn.Dropout(0.1)
            self.classifier = nn.Linear(self.bert.config.hidden_size, len(TEAMS))

        def embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)
            return nn.functional.normalize(pooled, dim=-1)

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.classifier(self.drop(self.embed(ids, mask)) * cfg.scale)
            return out

    return PooledClassifier()


def finetune(
    examples: Sequence[Example],
    base_dir: Path,
    cfg: FinetuneConfig,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train; return the adapter's tensors (``BertModel`` names) and a training report."""
    import torch
    from torch import nn
    from transformers import AutoTokenizer

    from sentiment.batching import pad_batch, shuffled_buckets
    from sentiment.encoder import PREFIX
    from sentiment.text import normalise_tweet
    from sentiment.train import seed_everything

    say = progress or log.info
    unknown = sorted({e.team for e in examples} - set(TEAMS))
    if unknown:
        raise ValueError(f"the encoder is tuned on the seven standard teams only, not {unknown}")
    if not examples:
        raise ValueError("no training lines")
    seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = build_model(base_dir, cfg)
    ids = tokenizer(
        [PREFIX + (normalise_tweet(e.text) or ".") for e in examples],
        truncation=True,
        max_length=cfg.max_length,
    )["input_ids"]
    y = torch.tensor([TEAMS.index(e.team) for e in examples])
    w = torch.tensor(line_weights(examples), dtype=torch.float32)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = cfg.max_steps or max(1, int(math.ceil(len(ids) / cfg.batch_size) * cfg.epochs))
    warmup = max(1.0, cfg.warmup_ratio * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, s / warmup) * max(0.0, (total - s) / max(1.0, total - warmup))
    )
    say(f"fine-tuning on {len(examples)} lines, {total} steps")
    model.train()
    step, started, losses = 0, time.monotonic(), []
    while step < total:
        for batch in shuffled_buckets([len(x) for x in ids], cfg.batch_size, rng):
            if step >= total:
                break
            x, m = pad_batch([ids[i] for i in batch], tokenizer.pad_token_id)
            logits = model(torch.from_numpy(x), torch.from_numpy(m))
            per_line = nn.functional.cross_entropy(logits, y[batch], reduction="none")
            loss = (per_line * w[batch]).sum() / w[batch].sum()
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            step += 1
            losses.append(float(loss.item()))
            if step % 20 == 0 or step == total:
                say(
                    f"step {step}/{total} loss {np.mean(losses[-20:]):.3f} "
                    f"{time.monotonic() - started:.0f}s"
                )
    state = {
        name.removeprefix("bert."): p.detach().cpu().clone().contiguous()
        for name, p in model.named_parameters()
        if "lora_" in name
    }
    report = {
        "lines": len(examples),
        "steps": step,
        "final_loss": round(float(np.mean(losses[-20:])), 4),
        "seconds": round(time.monotonic() - started, 1),
        "teams": {t: int((y == i).sum()) for i, t in enumerate(TEAMS)},
    }
    return state, report


def save_adapter(
    out: Path,
    state: dict[str, Any],
    cfg: FinetuneConfig,
    examples: Sequence[Example],
    report: dict[str, Any],
) -> Path:
    """Write ``adapter.safetensors`` (float16) and ``adapter_config.json`` into ``out``.

    A head setting already in ``out``'s config (``head``, chosen on the development
    parts) is kept: a new fine-tuning does not silently drop it.
    """
    import torch
    from safetensors.torch import save_file

    from sentiment.model import BASE_SHA256

    out.mkdir(parents=True, exist_ok=True)
    previous = read_adapter_config(out) if (out / ADAPTER_CONFIG).exists() else {}
    save_file({k: v.to(torch.float16) for k, v in state.items()}, str(out / ADAPTER_WEIGHTS))
    config = {
        "format": FORMAT,
        "base_sha256": BASE_SHA256,
        "rank": cfg.rank,
        "alpha": cfg.alpha,
        "max_length": cfg.max_length,
        "train_config": asdict(cfg),
        "sources": sorted({e.source for e in examples}),
        "data_sha256": sha256_lines(examples),
        "report": report,
    }
    if "head" in previous:
        config["head"] = previous["head"]
    (out / ADAPTER_CONFIG).write_text(
        json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out


def read_adapter_config(folder: Path = ADAPTER_DIR) -> dict[str, Any]:
    """The adapter's ``adapter_config.json``; a clear error when it is not one."""
    from veille.errors import ModelUnavailableError

    path = folder / ADAPTER_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"routing adapter config {path} cannot be read ({exc})"
        ) from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelUnavailableError(f"{path} is not a {FORMAT} file")
    return config
