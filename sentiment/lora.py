"""A small hand-written LoRA (Hu et al., 2021) for the encoder's linear layers.

Why LoRA: fine-tuning every layer of e5-small gives the best sentiment
model, but the trained weights must ship inside the repository (<= 10 MB).
Low-rank updates on all attention and feed-forward projections of all 12
layers, plus LayerNorms, pooler and classifier, are ~6 MB in float32 and
are merged into the base weights at install time, so inference costs
exactly as much as the plain model.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from veille.errors import ModelUnavailableError
from veille.i18n import _

#: Linear layers of a BERT encoder layer that get a low-rank update.
TARGETS: tuple[str, ...] = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LoRALinear(nn.Module):
    """``y = W x + b + (alpha / r) * B A dropout(x)`` with ``W``, ``b`` frozen."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        self.base = base
        self.rank = rank
        self.scaling = alpha / rank
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        base.weight.requires_grad_(False)
        if base.bias is not None:
            base.bias.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.base(x)
        update = self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()
        return out + update * self.scaling

    def merged(self) -> nn.Linear:
        """The base linear layer with the low-rank update folded in."""
        with torch.no_grad():
            self.base.weight += (self.lora_B @ self.lora_A) * self.scaling
        return self.base


def _resolve(root: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    parent = root
    *path, leaf = dotted.split(".")
    for part in path:
        parent = getattr(parent, part)
    return parent, leaf


def inject_lora(
    encoder_layers: nn.ModuleList, rank: int, alpha: float, dropout: float = 0.0
) -> None:
    """Replace the target linears of every encoder layer by :class:`LoRALinear`."""
    for layer in encoder_layers:
        for target in TARGETS:
            parent, leaf = _resolve(layer, target)
            base = getattr(parent, leaf)
            if isinstance(base, LoRALinear):
                continue
            setattr(parent, leaf, LoRALinear(base, rank, alpha, dropout))


def merge_lora(encoder_layers: nn.ModuleList) -> None:
    """Fold every :class:`LoRALinear` back into a plain ``nn.Linear``."""
    for layer in encoder_layers:
        for target in TARGETS:
            parent, leaf = _resolve(layer, target)
            module = getattr(parent, leaf)
            if isinstance(module, LoRALinear):
                setattr(parent, leaf, module.merged())


def load_and_merge(model: nn.Module, encoder_layers: nn.ModuleList, weights: Path) -> None:
    """Copy a trained adapter file into a LoRA-injected model, then merge it.

    One loader for every adapter veille ships (sentiment head, job tagger): an
    adapter key the model lacks means the file was trained for another base or
    another head, and loading it silently would give a model that looks fine
    and tags nonsense, so it is refused.
    """
    from safetensors.torch import load_file

    state = load_file(str(weights))
    own = dict(model.named_parameters())
    unknown = sorted(set(state) - set(own))
    if unknown:
        raise ModelUnavailableError(
            _("adapter %(path)s does not fit the base model (%(names)s...)")
            % {"path": weights, "names": unknown[:3]}
        )
    with torch.no_grad():
        for name, value in state.items():
            own[name].copy_(value.to(own[name].dtype))
    merge_lora(encoder_layers)
    model.eval()


def merge_adapter_dir(model: nn.Module, encoder_layers: nn.ModuleList, adapter: Path) -> None:
    """Fold an adapter folder (``adapter_config.json``: rank, alpha; ``adapter.safetensors``)
    into ``model``: inject LoRA of that shape, load the weights, merge them.

    One reading of the folder format for every caller (the sentiment model, the routing
    encoder, the GPU grid script), so the config keys are read in one place.
    """
    import json

    meta = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    inject_lora(encoder_layers, int(meta["rank"]), float(meta["alpha"]))
    load_and_merge(model, encoder_layers, adapter / "adapter.safetensors")
