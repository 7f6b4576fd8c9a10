"""The hyper-parameters every LoRA training of veille shares (sentiment, routing, job tagger).

Why a module of its own, without torch: the three training configs name the same ten knobs in
the same order, and the job tagger's and routing's configs are read where torch is not
imported. Each config subclasses :class:`LoraRecipe` and overrides only the defaults its
shipped adapter was trained with, so the recipe a config holds is read in one place and its
``asdict`` (written into each ``adapter_config.json``) keeps the same keys in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoraRecipe:
    """Seed, schedule, optimiser and LoRA shape of a training."""

    seed: int = 13
    epochs: float = 3.0
    batch_size: int = 32
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    rank: int = 16
    alpha: float = 32.0
    lora_dropout: float = 0.1
    max_length: int = 128
