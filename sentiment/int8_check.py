"""Whether a trained adapter's int8 ONNX export may be the CPU default.

The int8 graph runs about twice as fast as float32 ONNX but rounds weights, and on
324-tweet validation splits the rounding can cost a point. ``backend = "auto"``
therefore uses it only when the adapter's config says ``onnx_int8_validated``. This
module measures that verdict (int8 loses at most :data:`TOLERANCE` macro-F1 to float32
on every validation set) and writes it, with the figures, into the adapter's config,
so that the flag is reproduced by ``veille sentiment validate-int8``, never typed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.data import Example

#: Largest macro-F1 loss of int8 against float32 still accepted, on each set.
TOLERANCE = 0.005

#: What the int8 export keeps in float32 (see ``sentiment.model._int8_sensitive_nodes``).
KEPT_FLOAT32 = "FFN output projections of layers 0-5"
#: How the other MatMul weights are stored (see ``sentiment.model.quantize_int8``).
WEIGHTS = "int8 per channel, 7-bit range (reduce_range: no saturation without VNNI)"


@dataclass(frozen=True)
class Int8Check:
    """Macro-F1 of both exports on each set, and whether int8 passes."""

    float32: dict[str, float]
    int8: dict[str, float]
    agreement: dict[str, float]

    @property
    def validated(self) -> bool:
        return all(self.int8[k] >= self.float32[k] - TOLERANCE for k in self.float32)

    def as_config(self) -> dict[str, Any]:
        """The ``onnx_int8_validation`` block of ``adapter_config.json``."""
        return {
            "float32": {k: round(v, 4) for k, v in self.float32.items()},
            "int8": {k: round(v, 4) for k, v in self.int8.items()},
            "label_agreement": {k: round(v, 3) for k, v in self.agreement.items()},
            "tolerance": TOLERANCE,
            "kept_float32": KEPT_FLOAT32,
            "weights": WEIGHTS,
        }


def check_int8(model_dir: Path, sets: Mapping[str, Sequence[Example]]) -> Int8Check:
    """Score the float32 and int8 ONNX files of ``model_dir`` on each labelled set."""
    from sentiment.model import load_classifier
    from sentiment.train import macro_f1
    from veille.config import SentimentSettings

    preds: dict[str, dict[str, list[int]]] = {}
    for backend in ("onnx", "onnx-int8"):
        clf = load_classifier(SentimentSettings(model_path=str(model_dir), backend=backend))
        preds[backend] = {
            name: np.asarray(clf.predict_proba([e.text for e in items])).argmax(1).tolist()
            for name, items in sets.items()
        }
    gold = {name: [e.label for e in items] for name, items in sets.items()}
    return Int8Check(
        float32={k: macro_f1(gold[k], preds["onnx"][k]) for k in sets},
        int8={k: macro_f1(gold[k], preds["onnx-int8"][k]) for k in sets},
        agreement={
            k: float(np.mean(np.equal(preds["onnx"][k], preds["onnx-int8"][k]))) for k in sets
        },
    )


def record(head_dir: Path, check: Int8Check) -> None:
    """Write the verdict and its figures into ``head_dir/adapter_config.json``."""
    path = head_dir / "adapter_config.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["onnx_int8_validated"] = check.validated
    meta["onnx_int8_validation"] = check.as_config()
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
