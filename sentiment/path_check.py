"""Whether a reduced-precision inference path may be the CPU default.

Two paths are faster than float32 and round the weights: the int8 ONNX graph (about
twice float32 on most CPUs) and bfloat16 torch (faster still where the CPU has AMX).
On 324-tweet validation splits rounding can cost a point, so ``backend = "auto"``
uses a path only when the adapter's config says it was validated
(``onnx_int8_validated``, ``torch_bf16_validated``). This module measures that
verdict (the path loses at most :data:`TOLERANCE` macro-F1 to float32 on every
validation set) and writes it, with the figures, into the adapter's config, so that
the flag is reproduced by ``veille sentiment validate-int8`` / ``validate-bf16``,
never typed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.data import Example

#: Largest macro-F1 loss of a path against float32 still accepted, on each set.
TOLERANCE = 0.005

#: Each checked path: its float32 reference (same runtime, so only precision differs)
#: and what is rounded (see ``sentiment.model.quantize_int8`` and ``TorchClassifier``).
PATHS: dict[str, dict[str, str]] = {
    "onnx-int8": {
        "reference": "onnx",
        "kept_float32": "FFN output projections of layers 0-5",
        "weights": "int8 per channel, 7-bit range (reduce_range: no saturation without VNNI)",
    },
    "torch-bf16": {
        "reference": "torch",
        "kept_float32": "nothing (logits read back in float32)",
        "weights": "bfloat16 weights and activations",
    },
}


@dataclass(frozen=True)
class PathCheck:
    """Macro-F1 of float32 and of the reduced path on each set, and whether it passes."""

    backend: str
    float32: dict[str, float]
    reduced: dict[str, float]
    agreement: dict[str, float]

    @property
    def validated(self) -> bool:
        return all(self.reduced[k] >= self.float32[k] - TOLERANCE for k in self.float32)

    @property
    def short(self) -> str:
        """``int8`` or ``bf16``: the column name and the config's figure key."""
        return self.backend.split("-")[-1]

    def as_config(self) -> dict[str, Any]:
        """The ``<path>_validation`` block of ``adapter_config.json``."""
        about = PATHS[self.backend]
        return {
            "float32": {k: round(v, 4) for k, v in self.float32.items()},
            self.short: {k: round(v, 4) for k, v in self.reduced.items()},
            "label_agreement": {k: round(v, 3) for k, v in self.agreement.items()},
            "tolerance": TOLERANCE,
            "kept_float32": about["kept_float32"],
            "weights": about["weights"],
        }


def check_path(
    model_dir: Path, sets: Mapping[str, Sequence[Example]], backend: str = "onnx-int8"
) -> PathCheck:
    """Score ``backend`` and its float32 reference on each labelled set."""
    from sentiment.model import load_classifier
    from sentiment.train import macro_f1
    from veille.config import SentimentSettings

    if backend not in PATHS:
        raise ValueError(f"no validation for backend {backend!r}: one of {', '.join(PATHS)}")
    reference = PATHS[backend]["reference"]
    preds: dict[str, dict[str, list[int]]] = {}
    for name in (reference, backend):
        clf = load_classifier(SentimentSettings(model_path=str(model_dir), backend=name))
        preds[name] = {
            k: np.asarray(clf.predict_proba([e.text for e in items])).argmax(1).tolist()
            for k, items in sets.items()
        }
    gold = {k: [e.label for e in items] for k, items in sets.items()}
    return PathCheck(
        backend=backend,
        float32={k: macro_f1(gold[k], preds[reference][k]) for k in sets},
        reduced={k: macro_f1(gold[k], preds[backend][k]) for k in sets},
        agreement={
            k: float(np.mean(np.equal(preds[reference][k], preds[backend][k]))) for k in sets
        },
    )


def record(head_dir: Path, check: PathCheck) -> None:
    """Write the verdict and its figures into ``head_dir/adapter_config.json``."""
    from sentiment.model import validation_key

    key = validation_key(check.backend)
    path = head_dir / "adapter_config.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta[f"{key}_validated"] = check.validated
    meta[f"{key}_validation"] = check.as_config()
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
