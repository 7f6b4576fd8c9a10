"""The job tagger through ONNX Runtime: the merged weights exported once into the model cache.

Why: on ordinary posts the tagger's encoder is most of the time of ``veille tag jobs``. ONNX
Runtime ran the same merged float32 weights 1.35x to 2.9x faster than torch on CPU (two
measurements) when each piece is run alone, unpadded (its logits equal torch's to 1e-5 there;
on padded batches the traced graph's tags differed from torch's, so it is never given
padding). Any failure (no ONNX Runtime, an export error) leaves
:class:`enrich.job_tagger.JobTagger` on torch.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ONNX_FILE = "tagger.onnx"


def onnx_path(adapter: Path, root: Path | None = None) -> Path:
    """Where the export of the tagger merged with ``adapter`` is cached (named by its hash)."""
    from sentiment.convert import sha256_file
    from sentiment.model import cache_root

    digest = sha256_file(adapter)[:12]
    return (root or cache_root()) / f"job-tagger-{digest}" / ONNX_FILE


def onnx_session(
    model: Any, adapter: Path, threads: int = 0, root: Path | None = None
) -> Any | None:
    """An ONNX Runtime session over the merged ``model`` (its adapter file ``adapter``),
    exported on first use; None (then torch is used) when ONNX Runtime or the export fails."""
    try:
        import onnxruntime as ort
        import torch

        from sentiment.model import quiet_onnx_export

        path = onnx_path(adapter, root)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)

            class _Logits(torch.nn.Module):
                def __init__(self, inner: Any) -> None:
                    super().__init__()
                    self.inner = inner

                def forward(self, ids: Any, mask: Any) -> Any:
                    return self.inner(input_ids=ids, attention_mask=mask).logits

            ids = torch.tensor([[0, 100, 200, 2]], dtype=torch.long)
            with tempfile.TemporaryDirectory(dir=path.parent) as tmp, quiet_onnx_export():
                raw = Path(tmp) / ONNX_FILE
                torch.onnx.export(
                    _Logits(model.eval()),
                    (ids, torch.ones_like(ids)),
                    str(raw),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["logits"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "seq"},
                        "attention_mask": {0: "batch", 1: "seq"},
                        "logits": {0: "batch", 1: "seq"},
                    },
                    opset_version=17,
                    dynamo=False,
                )
                raw.replace(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or max(1, len(os.sched_getaffinity(0)))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning on a host shared with other services.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # any failure leaves the torch path, which always works
        log.warning("job tagger: ONNX Runtime not used (%s)", exc)
        return None
